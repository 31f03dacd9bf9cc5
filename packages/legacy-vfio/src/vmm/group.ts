import { QemuError, VFIO_GROUP_FLAGS_VIABLE, type AddressSpace } from '@viommu/core';
import { containerConnect, containerDisconnect } from './container.js';
import { openNode, syscall, type LegacyVfio, type VFIOGroup } from './structs.js';

/**
 * `vfio_device_get_groupid` (7.2: in `vfio_pci_realize`): the group number is the basename
 * of the `<sysfsdev>/iommu_group` link.
 */
export function deviceGetGroupId(ctx: LegacyVfio, sysfsdev: string): number {
  const link = syscall(
    () => ctx.kernel.readlink(`${sysfsdev}/iommu_group`),
    (errno) => QemuError.withErrno('no iommu_group found', errno, 'vfio-attach'),
  );
  const m = /(?:^|\/)(\d+)$/.exec(link);
  if (!m) throw new QemuError(`failed to read ${link}`, 'vfio-attach');
  return Number(m[1]);
}

/**
 * `vfio_group_get` (7.2: `vfio_get_group`): the group already open in this address space,
 * else open it, check it is viable and connect it to a container. A failure closes the group.
 * @throws QemuError, e.g. `group 7 is not viable` (with QEMU's hint) or
 *   `failed to setup container for group 7: …`.
 */
export function groupGet(ctx: LegacyVfio, groupid: number, as: AddressSpace): VFIOGroup {
  const open = ctx.groups.find((g) => g.groupid === groupid);
  if (open) {
    if (open.container?.space.as === as) return open;
    throw new QemuError(`group ${groupid} used in multiple address spaces`, 'vfio-attach');
  }
  ctx.trace.step('vfio_group_get', { groupid });
  const fd = openNode(ctx, `/dev/vfio/${groupid}`);
  const group: VFIOGroup = { groupid, fd, container: null, devices: [] };
  try {
    const status = syscall(
      () => ctx.kernel.ioctl(fd, 'VFIO_GROUP_GET_STATUS', undefined),
      (errno) => QemuError.withErrno(`failed to get group ${groupid} status`, errno, 'vfio-attach'),
    );
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
      throw new QemuError(`group ${groupid} is not viable`, 'vfio-attach', undefined, 'Please ensure all devices within the iommu_group are bound to their vfio bus driver.');
    }
    try {
      containerConnect(ctx, group, as);
    } catch (e) {
      if (e instanceof QemuError) throw e.prepend(`failed to setup container for group ${groupid}: `);
      throw e;
    }
  } catch (e) {
    ctx.kernel.close(fd);
    throw e;
  }
  ctx.groups.push(group);
  return group;
}

/** `vfio_group_put`: once no device is left, leave the container and close the group. */
export function groupPut(ctx: LegacyVfio, group: VFIOGroup): void {
  if (group.devices.length > 0) return;
  ctx.trace.step('vfio_group_put', { groupid: group.groupid });
  containerDisconnect(ctx, group);
  ctx.groups.splice(ctx.groups.indexOf(group), 1);
  ctx.kernel.close(group.fd);
}
