/**
 * @viommu/legacy-vfio — the simulated VFIO type1 kernel part and QEMU's legacy VFIO backend
 * (`vfio-iommu-legacy`, `host-iommu-device-legacy-vfio`). Wire it with `register`.
 */
export { register } from './register.js';
export { LEGACY_PROFILES, type LegacyProfile } from './vmm/profiles.js';
