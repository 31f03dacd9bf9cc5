import { QemuError } from '@viommu/core';
import { syscall, type LegacyVfio, type VFIODevice, type VFIOGroup } from './structs.js';

/**
 * `vfio_device_get` (7.2: `vfio_get_device`): the device fd from its group, then its info.
 * @throws QemuError `error getting device from group N: <strerror>` (with QEMU's hint) or
 *   `error getting device info: <strerror>`.
 */
export function deviceGet(ctx: LegacyVfio, group: VFIOGroup, vbasedev: VFIODevice): void {
  const name = vbasedev.name;
  const fd = syscall(
    () => ctx.kernel.ioctl(group.fd, 'VFIO_GROUP_GET_DEVICE_FD', { name }),
    (errno) =>
      QemuError.withErrno(
        `error getting device from group ${group.groupid}`,
        errno,
        'vfio-attach',
        `Verify all devices in group ${group.groupid} are bound to vfio-<bus> or pci-stub and not already in use`,
      ),
  );
  try {
    const info = syscall(
      () => ctx.kernel.ioctl(fd, 'VFIO_DEVICE_GET_INFO', undefined),
      (errno) => QemuError.withErrno('error getting device info', errno, 'vfio-attach'),
    );
    ctx.trace.step('vfio_device_get', { name, flags: info.flags, num_regions: info.num_regions, num_irqs: info.num_irqs });
  } catch (e) {
    ctx.kernel.close(fd);
    throw e;
  }
  vbasedev.fd = fd;
  vbasedev.group = group;
  group.devices.push(vbasedev);
}

/** `vfio_device_put`: closes the device fd. */
export function devicePut(ctx: LegacyVfio, dev: VFIODevice): void {
  const group = dev.group;
  if (!group) return;
  group.devices.splice(group.devices.indexOf(dev), 1);
  dev.group = null;
  ctx.kernel.close(dev.fd);
}
