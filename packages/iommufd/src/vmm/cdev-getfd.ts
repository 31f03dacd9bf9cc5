import { KernelError, QemuError, type KernelUapi } from '@viommu/core';

/**
 * `iommufd_cdev_getfd`: finds `/dev/vfio/devices/vfioN` through
 * `<sysfsdev>/vfio-dev/vfioN/dev` and opens it.
 * @throws QemuError prefixed `vfio <sysfsdev>/vfio-dev: ` (`couldn't open directory …`,
 *   `failed to find vfio-dev/vfioX/dev`, `failed to load "…"`, `failed to get major:minor
 *   for "…"`, `Failed to open …`).
 */
export function iommufdCdevGetfd(kernel: KernelUapi, sysfsdev: string): number {
  const path = `${sysfsdev}/vfio-dev`;
  const fail = (msg: string, errno?: KernelError) => {
    const err = errno ? QemuError.withErrno(msg, errno.errno, 'vfio-attach') : new QemuError(msg, 'vfio-attach');
    return err.prepend(`vfio ${path}: `);
  };
  let entries: string[];
  try {
    entries = kernel.readdir(path);
  } catch (e) {
    if (e instanceof KernelError) throw fail(`couldn't open directory ${path}`, e);
    throw e;
  }
  const name = entries.find((d) => d.startsWith('vfio'));
  if (!name) throw fail('failed to find vfio-dev/vfioX/dev');
  const devPath = `${path}/${name}/dev`;
  let contents: string;
  try {
    contents = kernel.readFile(devPath);
  } catch (e) {
    if (e instanceof KernelError) throw fail(`failed to load "${devPath}"`);
    throw e;
  }
  if (!/^\s*[+-]?\d+:[+-]?\d+/.test(contents)) throw fail(`failed to get major:minor for "${devPath}"`);
  const vfioPath = `/dev/vfio/devices/${name}`;
  try {
    return kernel.open(vfioPath);
  } catch (e) {
    if (e instanceof KernelError) throw fail(`Failed to open ${vfioPath}`);
    throw e;
  }
}
