import { defaultQemuCacheDir, MANIFEST, probeQemuBinary, QEMU_ARCHES, type QemuArch, type QemuBinary } from '@viommu/core/oracle';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Debian's QEMU 10.0 module packages that define QOM types (qxl, virtio-gpu-gl, usb-host, …).
 * The oracle's own 10.0 copy has none, and 7.2's modules in the system folder do not load into
 * 10.0, so `-device help` (which loads every module) and module models need a copy with them.
 */
export const MODULE_PACKAGES: readonly string[] = ['qemu-system-gui', 'qemu-system-modules-opengl', 'qemu-system-modules-spice'];

/** Where `scripts/gen-device-models.mjs` unpacks QEMU 10.0 with {@link MODULE_PACKAGES}. */
export function modulesRoot(cacheDir = defaultQemuCacheDir()): string {
  return join(cacheDir, '10.0-modules');
}

/** The binaries of a tree `fetchSuiteQemu` unpacked, run with its own libraries and modules; undefined when absent. */
export async function unpackedWithModules(root = modulesRoot()): Promise<Record<QemuArch, QemuBinary> | undefined> {
  if (!existsSync(join(root, MANIFEST))) return undefined;
  const libs = ['usr/lib', 'lib']
    .map((d) => join(root, d))
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).filter((n) => n.endsWith('-linux-gnu')).sort().map((n) => join(d, n)));
  const env = { LD_LIBRARY_PATH: libs.join(':'), QEMU_MODULE_DIR: join(libs[0]!, 'qemu') };
  const args = ['usr/share/qemu', 'usr/share/seabios'].map((d) => join(root, d)).filter((d) => existsSync(d)).flatMap((d) => ['-L', d]);
  const [x86_64, aarch64] = await Promise.all(QEMU_ARCHES.map((arch) => probeQemuBinary(join(root, 'usr/bin', `qemu-system-${arch}`), arch, { args, env })));
  return { x86_64: x86_64!, aarch64: aarch64! };
}
