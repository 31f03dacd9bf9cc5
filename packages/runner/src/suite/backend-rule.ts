/** The vendor-neutral backend expectation every rule starts with; plugins use the same one from core. */
export { suiteBackendRule as backendRule } from '@viommu/core';
