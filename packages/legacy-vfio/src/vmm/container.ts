import {
  KernelError,
  QemuError,
  U64_MAX,
  VFIO_API_VERSION,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
  VFIO_SPAPR_TCE_IOMMU,
  VFIO_SPAPR_TCE_v2_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
  vfioListenerRegister,
  type AddressSpace,
  type IovaRange,
  type VfioIommuType1InfoOut,
} from '@viommu/core';
import {
  HOST_PAGE_SIZE,
  ioctlOrMinusOne,
  ioctlSucceeds,
  openNode,
  syscall,
  type LegacyVfio,
  type VFIOAddressSpace,
  type VFIOGroup,
  type VFIOLegacyContainer,
} from './structs.js';

/** `sizeof(struct vfio_iommu_type1_info)`: the first `argsz` QEMU passes. */
const TYPE1_INFO_SIZE = 24;

/** `vfio_address_space_get`. */
function addressSpaceGet(ctx: LegacyVfio, as: AddressSpace): VFIOAddressSpace {
  let space = ctx.spaces.get(as);
  if (!space) {
    space = { as, containers: [] };
    ctx.spaces.set(as, space);
  }
  return space;
}

/** `vfio_address_space_put`. */
function addressSpacePut(ctx: LegacyVfio, space: VFIOAddressSpace): void {
  if (space.containers.length === 0) ctx.spaces.delete(space.as);
}

/** `vfio_get_iommu_type`: the richest type the container offers (v2 first). A failing ioctl reads as -1, i.e. "supported". */
function getIommuType(ctx: LegacyVfio, fd: number): number {
  for (const type of [VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU, VFIO_SPAPR_TCE_IOMMU]) {
    if (ioctlOrMinusOne(() => ctx.kernel.ioctl(fd, 'VFIO_CHECK_EXTENSION', type))) return type;
  }
  throw new QemuError('No available IOMMU models', 'vfio-attach');
}

/** `vfio_set_iommu`: the group joins the container, then the container gets its IOMMU (sPAPR v2 falls back to v1). */
function setIommu(ctx: LegacyVfio, fd: number, group: VFIOGroup, type: number): number {
  syscall(
    () => ctx.kernel.ioctl(group.fd, 'VFIO_GROUP_SET_CONTAINER', { container_fd: fd }),
    (errno) => QemuError.withErrno('Failed to set group container', errno, 'vfio-attach'),
  );
  for (;;) {
    try {
      ctx.kernel.ioctl(fd, 'VFIO_SET_IOMMU', type);
      return type;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      if (type === VFIO_SPAPR_TCE_v2_IOMMU) {
        type = VFIO_SPAPR_TCE_IOMMU;
        continue;
      }
      throw QemuError.withErrno('Failed to set iommu for container', e.errno, 'vfio-attach');
    }
  }
}

/** `vfio_get_iommu_info`: grows `argsz` until the kernel's capability chain fits. */
function getIommuInfo(ctx: LegacyVfio, fd: number): VfioIommuType1InfoOut {
  let argsz = TYPE1_INFO_SIZE;
  for (;;) {
    const info = syscall(
      () => ctx.kernel.ioctl(fd, 'VFIO_IOMMU_GET_INFO', { argsz }),
      (errno) => QemuError.withErrno('Failed to get VFIO IOMMU info', errno, 'vfio-attach'),
    );
    if (info.argsz <= argsz) return info;
    argsz = info.argsz;
  }
}

/** `vfio_get_iommu_type1_info_cap`: caps are only there with `VFIO_IOMMU_INFO_CAPS`. */
function infoCap<I extends number>(info: VfioIommuType1InfoOut, id: I) {
  if (!(info.flags & VFIO_IOMMU_INFO_CAPS)) return undefined;
  return info.caps.find((c): c is Extract<typeof c, { id: I }> => c.id === id);
}

const byStart = (a: IovaRange, b: IovaRange) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

/**
 * `vfio_legacy_setup` (7.2: the type1 case of `vfio_connect_container`): page sizes, DMA
 * mapping limit, IOVA ranges (8.2+; 7.2 assumes the whole 64-bit space) and dirty tracking.
 */
function legacySetup(ctx: LegacyVfio, fd: number, iommuType: number, space: VFIOAddressSpace): VFIOLegacyContainer {
  const info = getIommuInfo(ctx, fd);
  const pgsizes = info.flags & VFIO_IOMMU_INFO_PGSIZES ? info.iova_pgsizes : HOST_PAGE_SIZE;
  const iovaCap = infoCap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
  const iovaRanges = ctx.profile.legacyIovaRanges
    ? (iovaCap?.iova_ranges ?? []).map((r) => ({ start: r.start, last: r.last })).sort(byStart)
    : [{ start: 0n, last: U64_MAX }];
  const migration = infoCap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
  const unmapAllSupported = ctx.legacy.probeUnmapAll && ioctlOrMinusOne(() => ctx.kernel.ioctl(fd, 'VFIO_CHECK_EXTENSION', VFIO_UNMAP_ALL)) !== 0;
  const container: VFIOLegacyContainer = {
    fd,
    iommuType,
    space,
    groups: [],
    pgsizes,
    iovaRanges,
    dmaMaxMappings: infoCap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)?.avail ?? 65535,
    dirtyPagesSupported: migration !== undefined && (migration.pgsize_bitmap & HOST_PAGE_SIZE) !== 0n,
    unmapAllSupported,
  };
  ctx.trace.step('vfio_legacy_setup', { fd, pgsizes, iova_ranges: iovaRanges.map((r) => [r.start, r.last]) });
  return container;
}

/**
 * `vfio_container_connect` (7.2: `vfio_connect_container`): join a container of the same
 * address space that accepts the group, else create one — open, API version, IOMMU type,
 * `SET_CONTAINER` + `SET_IOMMU`, setup, memory listener. A failure closes the new container
 * fd (the kernel detaches the group when its fd closes) and leaves the group unattached.
 * @throws QemuError with QEMU's message (the caller prefixes `failed to setup container for group N: `).
 */
export function containerConnect(ctx: LegacyVfio, group: VFIOGroup, as: AddressSpace): void {
  const space = addressSpaceGet(ctx, as);
  for (const c of space.containers) {
    if (ioctlSucceeds(() => ctx.kernel.ioctl(group.fd, 'VFIO_GROUP_SET_CONTAINER', { container_fd: c.fd }))) {
      ctx.trace.step('vfio_container_group_add', { groupid: group.groupid, container: c.fd });
      group.container = c;
      c.groups.push(group);
      return;
    }
  }
  let fd = -1;
  try {
    fd = openNode(ctx, '/dev/vfio/vfio');
    const version = ioctlOrMinusOne(() => ctx.kernel.ioctl(fd, 'VFIO_GET_API_VERSION', undefined));
    if (version !== VFIO_API_VERSION) {
      throw new QemuError(`supported vfio version: ${VFIO_API_VERSION}, reported version: ${version}`, 'vfio-attach');
    }
    const iommuType = setIommu(ctx, fd, group, getIommuType(ctx, fd));
    const container = legacySetup(ctx, fd, iommuType, space);
    space.containers.push(container);
    group.container = container;
    container.groups.push(group);
    const err = vfioListenerRegister(as, container.pgsizes, ctx.profile, ctx.trace);
    if (err) {
      container.groups.splice(0);
      group.container = null;
      space.containers.splice(space.containers.indexOf(container), 1);
      throw err;
    }
  } catch (e) {
    if (fd >= 0) ctx.kernel.close(fd);
    addressSpacePut(ctx, space);
    throw e;
  }
}

/**
 * `vfio_container_disconnect` (7.2: `vfio_disconnect_container`): `VFIO_GROUP_UNSET_CONTAINER`
 * (a failure is only reported), then the last group out closes the container.
 */
export function containerDisconnect(ctx: LegacyVfio, group: VFIOGroup): void {
  const container = group.container;
  if (!container) return;
  container.groups.splice(container.groups.indexOf(group), 1);
  group.container = null;
  try {
    ctx.kernel.ioctl(group.fd, 'VFIO_GROUP_UNSET_CONTAINER', undefined);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.trace.step('error_report', { message: `vfio: error disconnecting group ${group.groupid} from container` });
  }
  if (container.groups.length === 0) {
    const space = container.space;
    ctx.kernel.close(container.fd);
    space.containers.splice(space.containers.indexOf(container), 1);
    addressSpacePut(ctx, space);
  }
}
