import {
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IOMMU_HW_CAP_PCI_PASID_EXEC,
  IOMMU_HW_CAP_PCI_PASID_PRIV,
  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
  IOMMU_HW_INFO_TYPE_DEFAULT,
  IOMMU_HW_INFO_TYPE_NONE,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_DATA_NONE,
  IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
  IOMMU_HWPT_FAULT_ID_VALID,
  IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_READABLE,
  IOMMU_IOAS_MAP_WRITEABLE,
  IOMMU_VIOMMU_TYPE_DEFAULT,
  KernelError,
  type ErrnoName,
  type IoctlName,
  type IommuHwInfoOut,
  type IommuHwptAlloc,
  type IommuIoasIovaRangesOut,
  type IommuIoasMap,
  type IommuIoasUnmap,
  type IommuHwInfo,
  type IommuViommuAlloc,
  type IommuVdeviceAlloc,
  type IommuHwptSetDirtyTracking,
  type IovaRange,
  type KernelFeatures,
  type LiveObject,
  type SimFile,
} from '@viommu/core';
import { hwptNestedAlloc, hwptPagingAlloc, viommuHwptNestedAlloc } from './hw-pagetable.js';
import { ioptMap, ioptUnmap } from './io-pagetable.js';
import { allowedRanges, IOVA_LAST, lowestBit, outsideAperture, overlaps } from './iova.js';
import type { DeviceObj, HwptObj, HwptPagingObj, IoasObj, IommufdObj, ViommuObj } from './objects.js';

/**
 * One iommufd context (`struct iommufd_ctx`, `drivers/iommu/iommufd/main.c`): the object
 * table behind an open `/dev/iommu` and the IOMMU_* ioctls, with the kernel's generic
 * checks in the kernel's order before the driver is called. Features the kernel release
 * lacks answer as that release did (`ENOTTY`, `EOPNOTSUPP`).
 *
 * The context outlives its fd while VFIO devices stay bound to it (each bound device holds
 * a reference, as `vfio_df_iommufd_bind` does); it frees every object when the last
 * reference goes.
 */
export class IommufdCtx implements SimFile {
  readonly kind = 'iommufd';
  readonly description = '/dev/iommu';
  readonly #objects = new Map<number, IommufdObj>();
  #refs = 1;

  constructor(
    readonly features: KernelFeatures,
    /** Called once the context is freed. */
    private readonly onFree: (ctx: IommufdCtx) => void,
  ) {}

  ioctl(request: IoctlName, arg: unknown): unknown {
    switch (request) {
      case 'IOMMU_DESTROY':
        return this.destroy((arg as { id: number }).id);
      case 'IOMMU_IOAS_ALLOC':
        return this.ioasAlloc((arg as { flags: number }).flags);
      case 'IOMMU_IOAS_IOVA_RANGES':
        return this.ioasIovaRanges(arg as { ioas_id: number; num_iovas: number });
      case 'IOMMU_IOAS_MAP':
        return this.ioasMap(arg as IommuIoasMap);
      case 'IOMMU_IOAS_UNMAP':
        return this.ioasUnmap(arg as IommuIoasUnmap);
      case 'IOMMU_GET_HW_INFO':
        if (!this.features.hwptAlloc) break;
        return this.getHwInfo(arg as IommuHwInfo);
      case 'IOMMU_HWPT_ALLOC':
        if (!this.features.hwptAlloc) break;
        return this.hwptAlloc(arg as IommuHwptAlloc);
      case 'IOMMU_HWPT_SET_DIRTY_TRACKING':
        if (!this.features.dirtyTracking) break;
        return this.setDirtyTracking(arg as IommuHwptSetDirtyTracking);
      case 'IOMMU_VIOMMU_ALLOC':
        if (!this.features.viommu) break;
        return this.viommuAlloc(arg as IommuViommuAlloc);
      case 'IOMMU_VDEVICE_ALLOC':
        if (!this.features.viommu) break;
        return this.vdeviceAlloc(arg as IommuVdeviceAlloc);
      default:
        break;
    }
    throw new KernelError('ENOTTY', request, 'not an ioctl of this kernel\'s /dev/iommu');
  }

  /** `iommufd_fops_release`: drops the fd's reference. */
  release(): void {
    this.put();
  }

  /** A bound device takes a reference on the context. */
  get(): void {
    this.#refs++;
  }

  put(): void {
    if (--this.#refs > 0) return;
    this.#objects.clear();
    this.onFree(this);
  }

  liveObjects(): LiveObject[] {
    return [...this.#objects.values()].map((o) => ({ kind: o.kind, id: o.id, description: describe(o) }));
  }

  /** `xa_alloc` on an `XA_FLAGS_ALLOC1` xarray: the lowest free id from 1 (ids are reused). */
  #allocId(): number {
    let id = 1;
    while (this.#objects.has(id)) id++;
    return id;
  }

  /** `iommufd_device_bind`: a new device object. */
  bindDevice(make: (id: number) => DeviceObj): DeviceObj {
    const dev = make(this.#allocId());
    this.#objects.set(dev.id, dev);
    this.get();
    return dev;
  }

  /** `iommufd_device_unbind`: detach, force-destroy its vDEVICE, drop the device. */
  unbindDevice(dev: DeviceObj): void {
    this.detach(dev);
    if (dev.vdevice) this.#removeVdevice(dev.vdevice.id);
    this.#objects.delete(dev.id);
    this.put();
  }

  /**
   * `iommufd_device_attach` / `_replace` (`VFIO_DEVICE_ATTACH_IOMMUFD_PT`): an IOAS gets an
   * auto domain (reusing a compatible one first), a HWPT is attached as is. Returns the HWPT.
   */
  attach(dev: DeviceObj, ptId: number): HwptObj {
    const pt = this.#objects.get(ptId);
    if (!pt) throw new KernelError('ENOENT', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', `no object ${ptId}`);
    let hwpt: HwptObj;
    if (pt.kind === 'ioas') hwpt = this.#autoGetDomain(dev, pt);
    else if (pt.kind === 'hwpt_paging' || pt.kind === 'hwpt_nested') {
      this.#attachHwpt(dev, pt);
      hwpt = pt;
    } else throw new KernelError('EINVAL', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', `object ${ptId} is a ${pt.kind}`);
    const old = dev.attached;
    dev.attached = hwpt;
    if (old && old !== hwpt) this.#putAutoDomain(old);
    return hwpt;
  }

  /** `iommufd_device_detach`: the RID is blocked; an auto domain without devices goes away. */
  detach(dev: DeviceObj): void {
    const old = dev.attached;
    dev.attached = null;
    if (old) this.#putAutoDomain(old);
  }

  #autoGetDomain(dev: DeviceObj, ioas: IoasObj): HwptPagingObj {
    for (const o of this.#objects.values()) {
      if (o.kind !== 'hwpt_paging' || o.ioas !== ioas || !o.autoDomain) continue;
      try {
        this.#attachHwpt(dev, o);
        return o;
      } catch (e) {
        if (e instanceof KernelError && e.errno === 'EINVAL') continue;
        throw e;
      }
    }
    const domain = dev.inst.domainAllocPaging(dev.state.dev, 0, null);
    const hwpt: HwptPagingObj = { kind: 'hwpt_paging', id: this.#allocId(), ioas, domain, autoDomain: true, nestParent: false, dirtyTracking: false };
    this.#attachHwpt(dev, hwpt);
    this.#objects.set(hwpt.id, hwpt);
    return hwpt;
  }

  /** The IOAS checks of `iommufd_hw_pagetable_attach`, then the driver's `attach_dev`. */
  #attachHwpt(dev: DeviceObj, hwpt: HwptObj): void {
    const paging = hwpt.kind === 'hwpt_paging' ? hwpt : hwpt.parent;
    const blocked = [...dev.inst.reservedRegions(dev.state.dev), ...outsideAperture(paging.domain.owner.aperture)];
    for (const a of paging.ioas.areas) {
      const area = { start: a.iova, last: a.iova + a.length - 1n };
      if (blocked.some((r) => overlaps(r, area))) {
        throw new KernelError('EADDRINUSE', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'iopt_table_enforce_dev_resv_regions: a mapping covers a reserved region');
      }
    }
    dev.inst.attachDev(hwpt.domain, dev.state.dev);
  }

  #putAutoDomain(hwpt: HwptObj): void {
    if (hwpt.kind !== 'hwpt_paging' || !hwpt.autoDomain) return;
    if (!this.#devices().some((d) => d.attached === hwpt)) this.#objects.delete(hwpt.id);
  }

  #devices(): DeviceObj[] {
    return [...this.#objects.values()].filter((o): o is DeviceObj => o.kind === 'device');
  }

  #device(devId: number, call: string): DeviceObj {
    const o = this.#objects.get(devId);
    if (o?.kind !== 'device') throw new KernelError('ENOENT', call, `dev_id ${devId} is not a device`);
    return o;
  }

  #ioas(id: number, call: string): IoasObj {
    const o = this.#objects.get(id);
    if (o?.kind !== 'ioas') throw new KernelError('ENOENT', call, `ioas_id ${id} is not an IOAS`);
    return o;
  }

  /** Who holds a reference on `o` (the kernel's `users` beyond the table's own). */
  #users(o: IommufdObj): IommufdObj[] {
    const all = [...this.#objects.values()];
    switch (o.kind) {
      case 'device':
        return [o];
      case 'ioas':
        return all.filter((x) => x.kind === 'hwpt_paging' && x.ioas === o);
      case 'hwpt_paging':
        return all.filter(
          (x) =>
            (x.kind === 'device' && x.attached === o) ||
            (x.kind === 'hwpt_nested' && x.parent === o) ||
            (x.kind === 'viommu' && x.hwpt === o),
        );
      case 'hwpt_nested':
        return all.filter((x) => x.kind === 'device' && x.attached === o);
      case 'viommu':
        return all.filter((x) => (x.kind === 'vdevice' && x.viommu === o) || (x.kind === 'hwpt_nested' && x.viommu === o));
      case 'vdevice':
        return [];
    }
  }

  /** `iommufd_destroy`. */
  destroy(id: number): void {
    const o = this.#objects.get(id);
    if (!o) throw new KernelError('ENOENT', 'IOMMU_DESTROY', `no object ${id}`);
    if (this.#users(o).length) throw new KernelError('EBUSY', 'IOMMU_DESTROY', `${o.kind} ${id} is in use`);
    if (o.kind === 'vdevice') this.#removeVdevice(id);
    else this.#objects.delete(id);
  }

  #removeVdevice(id: number): void {
    const v = this.#objects.get(id);
    if (v?.kind !== 'vdevice') return;
    v.viommu.drv.owner.vdeviceDestroy?.(v.viommu.drv, v.dev.state.dev);
    v.viommu.vdevs.delete(v.virtId);
    v.dev.vdevice = null;
    this.#objects.delete(id);
  }

  /** `iommufd_ioas_alloc_ioctl`. */
  ioasAlloc(flags: number): { out_ioas_id: number } {
    if (flags) throw new KernelError('EOPNOTSUPP', 'IOMMU_IOAS_ALLOC', 'flags must be 0');
    const ioas: IoasObj = { kind: 'ioas', id: this.#allocId(), areas: [] };
    this.#objects.set(ioas.id, ioas);
    return { out_ioas_id: ioas.id };
  }

  /** Reserved ranges of an IOAS: attached devices' reserved regions and domain apertures. */
  #reserved(ioas: IoasObj): { reserved: IovaRange[]; alignment: bigint } {
    const reserved: IovaRange[] = [];
    let alignment = 1n;
    for (const d of this.#devices()) {
      const paging = d.attached?.kind === 'hwpt_nested' ? d.attached.parent : d.attached;
      if (paging?.ioas !== ioas) continue;
      reserved.push(...d.inst.reservedRegions(d.state.dev));
    }
    for (const o of this.#objects.values()) {
      if (o.kind !== 'hwpt_paging' || o.ioas !== ioas) continue;
      reserved.push(...outsideAperture(o.domain.owner.aperture));
      const min = lowestBit(o.domain.owner.pgsizeBitmap);
      if (min > alignment) alignment = min;
    }
    return { reserved, alignment };
  }

  /** `iommufd_ioas_iova_ranges`: `EMSGSIZE` (with the count written back) when the array is short. */
  ioasIovaRanges(arg: { ioas_id: number; num_iovas: number }): IommuIoasIovaRangesOut {
    const ioas = this.#ioas(arg.ioas_id, 'IOMMU_IOAS_IOVA_RANGES');
    const { reserved, alignment } = this.#reserved(ioas);
    const ranges = allowedRanges(reserved);
    const out: IommuIoasIovaRangesOut = { num_iovas: ranges.length, allowed_iovas: ranges, out_iova_alignment: alignment };
    if (arg.num_iovas < ranges.length) {
      throw new KernelError('EMSGSIZE', 'IOMMU_IOAS_IOVA_RANGES', `${ranges.length} ranges`, { ...out, allowed_iovas: [] });
    }
    return out;
  }

  /** `iommufd_ioas_map`. */
  ioasMap(arg: IommuIoasMap): { iova: bigint } {
    const call = 'IOMMU_IOAS_MAP';
    const known = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
    if (arg.flags & ~known) throw new KernelError('EOPNOTSUPP', call, 'unknown flags');
    if (arg.iova >= IOVA_LAST || arg.length >= IOVA_LAST) throw new KernelError('EOVERFLOW', call);
    if (!(arg.flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE))) throw new KernelError('EINVAL', call, 'neither readable nor writeable');
    const ioas = this.#ioas(arg.ioas_id, call);
    return { iova: ioptMap(ioas, this.#reserved(ioas), arg) };
  }

  /** `iommufd_ioas_unmap`. */
  ioasUnmap(arg: IommuIoasUnmap): { length: bigint } {
    return { length: ioptUnmap(this.#ioas(arg.ioas_id, 'IOMMU_IOAS_UNMAP'), arg) };
  }

  /** `iommufd_get_hw_info`. */
  getHwInfo(arg: IommuHwInfo): IommuHwInfoOut {
    const call = 'IOMMU_GET_HW_INFO';
    const allowed = this.features.hwInfoInputType ? IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0;
    if (arg.flags & ~allowed) throw new KernelError('EOPNOTSUPP', call, 'unknown flags');
    const requested = arg.flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE ? (arg.in_data_type ?? 0) : IOMMU_HW_INFO_TYPE_DEFAULT;
    const dev = this.#device(arg.dev_id, call);
    const hw = dev.inst.hwInfo?.(dev.state.dev, requested);
    if (hw && hw.type === IOMMU_HW_INFO_TYPE_NONE) throw new KernelError('ENODEV', call, 'driver reported type NONE');
    let caps = 0n;
    if (this.features.dirtyTracking && dev.inst.capable('DIRTY_TRACKING', dev.state.dev)) caps |= IOMMU_HW_CAP_DIRTY_TRACKING;
    let maxPasidLog2 = 0;
    const maxPasids = this.features.hwInfoPasid ? dev.inst.maxPasids(dev.state.dev) : 0;
    if (maxPasids > 0) {
      maxPasidLog2 = Math.floor(Math.log2(maxPasids));
      if (dev.state.dev.pasidExec) caps |= IOMMU_HW_CAP_PCI_PASID_EXEC;
      if (dev.state.dev.pasidPriv) caps |= IOMMU_HW_CAP_PCI_PASID_PRIV;
    }
    return {
      out_data_type: hw?.type ?? IOMMU_HW_INFO_TYPE_NONE,
      data_len: hw?.length ?? 0,
      data: hw && arg.data_len > 0 ? hw.data : null,
      out_capabilities: caps,
      out_max_pasid_log2: maxPasidLog2,
    };
  }

  /** `iommufd_hwpt_alloc`: paging on an IOAS, nested on a nest parent or a vIOMMU. */
  hwptAlloc(arg: IommuHwptAlloc): { out_hwpt_id: number } {
    const call = 'IOMMU_HWPT_ALLOC';
    const fail = (errno: ErrnoName, why: string) => new KernelError(errno, call, why);
    if (arg.__reserved) throw fail('EOPNOTSUPP', '__reserved');
    const hasData = arg.data !== undefined;
    if ((arg.data_type === IOMMU_HWPT_DATA_NONE) === hasData) throw fail('EINVAL', 'data_type and data_len disagree');
    const dev = this.#device(arg.dev_id, call);
    const pt = this.#objects.get(arg.pt_id);
    if (!pt) throw fail('EINVAL', `pt_id ${arg.pt_id} does not exist`);
    let hwpt: HwptObj;
    const id = this.#allocId();
    if (pt.kind === 'ioas') hwpt = hwptPagingAlloc(this.features, id, dev, pt, arg);
    else if (pt.kind === 'hwpt_paging') hwpt = hwptNestedAlloc(this.features, id, dev, pt, arg);
    else if (pt.kind === 'viommu') hwpt = viommuHwptNestedAlloc(this.features, id, dev, pt, arg);
    else throw fail('EINVAL', `pt_id ${arg.pt_id} is a ${pt.kind}`);
    if (arg.flags & IOMMU_HWPT_FAULT_ID_VALID) throw fail('ENOENT', `fault_id ${arg.fault_id ?? 0} is not a fault queue`);
    this.#objects.set(hwpt.id, hwpt);
    return { out_hwpt_id: hwpt.id };
  }

  /** `iommufd_hwpt_set_dirty_tracking`. */
  setDirtyTracking(arg: IommuHwptSetDirtyTracking): void {
    const call = 'IOMMU_HWPT_SET_DIRTY_TRACKING';
    if (arg.flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) throw new KernelError('EOPNOTSUPP', call, 'unknown flags');
    const o = this.#objects.get(arg.hwpt_id);
    if (o?.kind !== 'hwpt_paging') throw new KernelError('ENOENT', call, `${arg.hwpt_id} is not a paging HWPT`);
    if (!(o.domain.flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)) throw new KernelError('EOPNOTSUPP', call, 'HWPT has no dirty ops');
    o.dirtyTracking = (arg.flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE) !== 0;
  }

  /** `iommufd_viommu_alloc_ioctl`. */
  viommuAlloc(arg: IommuViommuAlloc): { out_viommu_id: number } {
    const call = 'IOMMU_VIOMMU_ALLOC';
    if (arg.flags || arg.type === IOMMU_VIOMMU_TYPE_DEFAULT) throw new KernelError('EOPNOTSUPP', call, 'flags or type DEFAULT');
    const dev = this.#device(arg.dev_id, call);
    const inst = dev.inst;
    if (!inst.viommuInit || !inst.getViommuSize || inst.getViommuSize(dev.state.dev, arg.type) === 0) {
      throw new KernelError('EOPNOTSUPP', call, `vIOMMU type 0x${arg.type.toString(16)} not supported`);
    }
    const hwpt = this.#objects.get(arg.hwpt_id);
    if (hwpt?.kind !== 'hwpt_paging') throw new KernelError('ENOENT', call, `${arg.hwpt_id} is not a paging HWPT`);
    if (!hwpt.nestParent) throw new KernelError('EINVAL', call, `hwpt ${hwpt.id} is not a nest parent`);
    const drv = inst.viommuInit(hwpt.domain, arg.type, dev.state.dev);
    const viommu: ViommuObj = { kind: 'viommu', id: this.#allocId(), hwpt, drv, vdevs: new Map() };
    this.#objects.set(viommu.id, viommu);
    return { out_viommu_id: viommu.id };
  }

  /** `iommufd_vdevice_alloc_ioctl`. */
  vdeviceAlloc(arg: IommuVdeviceAlloc): { out_vdevice_id: number } {
    const call = 'IOMMU_VDEVICE_ALLOC';
    if (arg.virt_id > IOVA_LAST) throw new KernelError('EINVAL', call, 'virt_id > ULONG_MAX');
    const viommu = this.#objects.get(arg.viommu_id);
    if (viommu?.kind !== 'viommu') throw new KernelError('ENOENT', call, `${arg.viommu_id} is not a vIOMMU`);
    const dev = this.#device(arg.dev_id, call);
    if (viommu.drv.owner !== dev.inst) throw new KernelError('EINVAL', call, 'device behind another IOMMU than the vIOMMU');
    if (dev.vdevice) throw new KernelError('EEXIST', call, 'device already has a vDEVICE');
    if (viommu.vdevs.has(arg.virt_id)) throw new KernelError('EEXIST', call, `virt_id 0x${arg.virt_id.toString(16)} in use`);
    dev.inst.vdeviceInit?.(viommu.drv, dev.state.dev, arg.virt_id);
    const vdev = { kind: 'vdevice' as const, id: this.#allocId(), viommu, dev, virtId: arg.virt_id };
    viommu.vdevs.set(arg.virt_id, vdev);
    dev.vdevice = vdev;
    this.#objects.set(vdev.id, vdev);
    return { out_vdevice_id: vdev.id };
  }
}

function describe(o: IommufdObj): string {
  switch (o.kind) {
    case 'device':
      return `${o.state.dev.bdf}${o.attached ? ` attached to ${o.attached.id}` : ''}`;
    case 'ioas':
      return `${o.areas.length} areas`;
    case 'hwpt_paging':
      return `ioas ${o.ioas.id}${o.autoDomain ? ' auto' : ''}${o.nestParent ? ' nest-parent' : ''}`;
    case 'hwpt_nested':
      return `parent ${o.parent.id}${o.viommu ? ` viommu ${o.viommu.id}` : ''}`;
    case 'viommu':
      return `hwpt ${o.hwpt.id}`;
    case 'vdevice':
      return `viommu ${o.viommu.id} dev ${o.dev.id} virt_id 0x${o.virtId.toString(16)}`;
  }
}
