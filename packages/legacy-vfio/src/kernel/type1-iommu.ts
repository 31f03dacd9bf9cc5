import {
  KernelError,
  VFIO_DMA_CC_IOMMU,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
  VFIO_UPDATE_VADDR,
  fls64,
  type HostPciDevice,
  type IommuDomain,
  type IommuInstance,
  type IovaRange,
  type VfioIommuType1Info,
  type VfioIommuType1InfoCap,
  type VfioIommuType1InfoOut,
} from '@viommu/core';
import type { KernelGroup } from './group.js';
import { iovaAperResize, iovaResvExclude, pgsizeBitmap } from './iova-list.js';
import type { Type1Env } from './kernel-release.js';

/** `sizeof(struct vfio_iommu_type1_info)`. */
export const VFIO_IOMMU_TYPE1_INFO_SIZE = 24;
/** `offsetofend(struct vfio_iommu_type1_info, iova_pgsizes)`: the smallest accepted `argsz`. */
const INFO_MINSZ = 16;
/** `DIRTY_BITMAP_SIZE_MAX` = `DIRTY_BITMAP_BYTES(INT_MAX)`: 2^31 pages, one bit each. */
const DIRTY_BITMAP_SIZE_MAX = 1n << 28n;

/** A type1 domain (`struct vfio_domain`): one driver domain shared by compatible groups. */
interface Type1Domain {
  readonly domain: IommuDomain;
  readonly instance: IommuInstance;
  readonly groups: KernelGroup[];
}

/** Lowest set bit index (`__ffs`). */
function ffs(v: bigint): number {
  return fls64(v & -v);
}

/**
 * `struct vfio_iommu` of `drivers/vfio/vfio_iommu_type1.c`: the type1 backend a container
 * gets at `VFIO_SET_IOMMU`. Domains come from the vendor driver (`IommuInstance`); the IOVA
 * list is the apertures minus the groups' reserved regions.
 */
export class Type1Iommu {
  readonly domains: Type1Domain[] = [];
  #iovaList: IovaRange[] = [];
  #pgsizeBitmap: bigint = pgsizeBitmap([]);

  constructor(
    /** `VFIO_TYPE1v2_IOMMU` or `VFIO_TYPE1_IOMMU`. */
    readonly type: number,
    readonly env: Type1Env,
  ) {}

  get iovaList(): readonly IovaRange[] {
    return this.#iovaList;
  }

  /** `vfio_iommu_type1_check_extension`; `iommu` null when asked before `VFIO_SET_IOMMU`. */
  static checkExtension(iommu: Type1Iommu | null, arg: number): number {
    switch (arg) {
      case VFIO_TYPE1_IOMMU:
      case VFIO_TYPE1v2_IOMMU:
      case VFIO_UNMAP_ALL:
        return 1;
      case VFIO_UPDATE_VADDR:
        return iommu ? 1 : 0;
      case VFIO_DMA_CC_IOMMU:
        return iommu && iommu.domains.every((d) => d.groups.every((g) => g.devices().every((s) => d.instance.capable('ENFORCE_CACHE_COHERENCY', s.dev)))) ? 1 : 0;
      default:
        return 0;
    }
  }

  /**
   * `vfio_iommu_type1_attach_group`: a paging domain from the group's IOMMU, the aperture and
   * reserved-region checks, MSI isolation (EPERM without it unless `allow_unsafe_interrupts`),
   * then reuse of an existing domain of the same driver when it accepts the group. Nothing
   * changes on failure.
   * @throws KernelError with the driver's or the IOVA list's errno, or EPERM.
   */
  attachGroup(group: KernelGroup): void {
    const devs = group.devices().map((s) => s.dev);
    const instance = group.iommu();
    const first = devs[0];
    if (!instance || !first) throw new KernelError('ENODEV', 'VFIO_SET_IOMMU', `group ${group.id} has no IOMMU`);
    const domain = instance.domainAllocPaging(first, 0, null);
    for (const dev of devs) instance.attachDev(domain, dev);
    let iova = iovaAperResize(this.#iovaList, instance.aperture);
    iova = iovaResvExclude(iova, group.reservedRegions());
    if (!this.env.allowUnsafeInterrupts && devs.some((dev) => instance.isolatedMsi?.(dev) === false)) {
      // pr_warn: "No interrupt remapping support.  Use the module param "allow_unsafe_interrupts" …"
      throw new KernelError('EPERM', 'VFIO_SET_IOMMU', `vfio_iommu_type1_attach_group: group ${group.id} has no MSI isolation`);
    }
    const reuse = this.domains.find((d) => d.instance.driver === instance.driver && this.#tryAttach(instance, d, devs));
    if (reuse) reuse.groups.push(group);
    else this.domains.push({ domain, instance, groups: [group] });
    this.#iovaList = iova;
    this.#pgsizeBitmap = pgsizeBitmap(this.domains.map((d) => d.instance.pgsizeBitmap));
  }

  /** `iommu_attach_group(d->domain, group)`: the group's own IOMMU decides. */
  #tryAttach(instance: IommuInstance, d: Type1Domain, devs: readonly HostPciDevice[]): boolean {
    try {
      for (const dev of devs) instance.attachDev(d.domain, dev);
      return true;
    } catch (e) {
      if (e instanceof KernelError) return false;
      throw e;
    }
  }

  /** `vfio_iommu_type1_detach_group`: frees an emptied domain and recomputes the IOVA list. */
  detachGroup(group: KernelGroup): void {
    const i = this.domains.findIndex((d) => d.groups.includes(group));
    const d = this.domains[i];
    if (!d) return;
    d.groups.splice(d.groups.indexOf(group), 1);
    if (d.groups.length === 0) this.domains.splice(i, 1);
    let iova: IovaRange[] = [];
    for (const dom of this.domains) iova = iovaAperResize(iova, dom.instance.aperture);
    for (const dom of this.domains) for (const g of dom.groups) iova = iovaResvExclude(iova, g.reservedRegions());
    this.#iovaList = iova;
    this.#pgsizeBitmap = pgsizeBitmap(this.domains.map((dom) => dom.instance.pgsizeBitmap));
  }

  /**
   * `vfio_iommu_type1_get_info`: page sizes and the capability chain (MIGRATION, DMA_AVAIL,
   * IOVA_RANGE). When `argsz` cannot hold the chain the kernel only raises `argsz` (no error,
   * `cap_offset` 0) and the caller retries.
   * @throws KernelError EINVAL when `argsz` does not cover `iova_pgsizes`.
   */
  getInfo(arg: VfioIommuType1Info): VfioIommuType1InfoOut {
    if (arg.argsz < INFO_MINSZ) throw new KernelError('EINVAL', 'VFIO_IOMMU_GET_INFO', `argsz ${arg.argsz} < ${INFO_MINSZ}`);
    const pad = (n: number) => (this.env.traits.capsAligned ? Math.ceil(n / 8) * 8 : n);
    const iovas = this.#iovaList.length;
    const capsSize = pad(32) + pad(12) + (iovas > 0 ? pad(16 + 16 * iovas) : 0);
    const needed = VFIO_IOMMU_TYPE1_INFO_SIZE + capsSize;
    const flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
    if (arg.argsz < needed) return { argsz: needed, flags, iova_pgsizes: this.#pgsizeBitmap, cap_offset: 0, caps: [] };
    const caps: VfioIommuType1InfoCap[] = [
      {
        id: VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
        version: 1,
        flags: 0,
        pgsize_bitmap: 1n << BigInt(ffs(this.#pgsizeBitmap)),
        max_dirty_bitmap_size: DIRTY_BITMAP_SIZE_MAX,
      },
      { id: VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, version: 1, avail: this.env.dmaEntryLimit },
    ];
    if (iovas > 0) caps.push({ id: VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, version: 1, iova_ranges: this.#iovaList.map((r) => ({ ...r })) });
    return { argsz: arg.argsz, flags, iova_pgsizes: this.#pgsizeBitmap, cap_offset: VFIO_IOMMU_TYPE1_INFO_SIZE, caps };
  }
}
