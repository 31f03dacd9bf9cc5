/**
 * `@viommu/core/oracle`: real QEMU as the oracle for viommu's answers. Finds or installs the
 * QEMU releases the profiles model (7.2 from Debian 12, 10.0 from bookworm-backports), runs
 * a configuration under qtest and returns the registers it read or QEMU's refusal, exactly
 * as printed. Node-only; not part of `@viommu/core`'s main entry. See docs/oracle.md.
 */
export * from './errors.js';
export * from './qtest.js';
export * from './stderr.js';
export * from './versions.js';
export * from './binaries.js';
export * from './run.js';
export { type Exec, type ExecResult, execFile } from './exec.js';
export { type DebianArchive, debianArchive } from './apt-sources.js';
export { type DebianHost, MANIFEST, fetchSuiteQemu, installSystemQemu, lddMissing, parseDepends } from './debian.js';
