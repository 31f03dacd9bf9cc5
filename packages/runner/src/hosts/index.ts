/**
 * Hosts: the catalogue of real hosts that ships with viommu, host profiles (JSON, schema in
 * `schemas/host-profile.schema.json`), import of boot logs and sysfs captures, and the probe
 * of the machine viommu runs on. docs/hosts.md tells users how to capture a host.
 */
export { listHosts, findHost, hostFromRealEntry, AMD_NOT_MODELLED, type RealHostEntry, type RealUnitEntry } from './catalogue.js';
export { HOST_DEFAULTS } from './defaults.js';
export { hostToJson, hostFromJson, HOST_PROFILE_SCHEMA } from './json.js';
export { importHost, type HostImport } from './import.js';
export { probeHost, type HostProbe } from './probe.js';
export { loadHost } from './load.js';
export { readBootLog } from './boot-log.js';
