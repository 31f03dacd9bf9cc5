/**
 * `node node_modules/@viommu/core/dist/src/oracle/fetch.js`: installs or fetches every QEMU
 * the oracle runs and prints one line per release, or one line saying why it cannot (exit 1).
 * Vendor packages run it at the start of their `test:oracle` script.
 */
import { qemuBinaries } from './binaries.js';

try {
  for (const [version, set] of Object.entries(await qemuBinaries())) {
    console.log(`${version}: ${set.x86_64.versionLine}: ${set.x86_64.path} ${set.aarch64.path}`);
  }
} catch (e) {
  console.error(`viommu oracle: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
