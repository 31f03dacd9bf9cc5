import {
  HostIOMMUDevice,
  IOMMU_HW_INFO_TYPE_NONE,
  KernelError,
  QemuError,
  TYPE_HOST_IOMMU_DEVICE,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  type HostIOMMUDeviceIOMMUFD,
  type HostPciDevice,
  type IommuDomain,
  type IommuHwInfoOut,
  type IommuHwptData,
  type IommuInstance,
  type IommuViommu,
  type IOMMUFDBackend,
  type IovaRange,
} from '@viommu/core';

/**
 * A minimal stand-in for `@viommu/iommufd` in unit tests: object ids over the arm-smmu-v3
 * driver model, QEMU's backend messages, and a hiod per device. It does none of iommufd's
 * generic checks; the end-to-end tests use the real package.
 */
export class FakeIommufd implements IOMMUFDBackend {
  readonly id = 'fd0';
  readonly objects = new Map<number, { kind: 'hwpt'; domain: IommuDomain } | { kind: 'viommu'; viommu: IommuViommu }>();
  readonly calls: string[] = [];
  #next = 1;
  readonly devices = new Map<number, { dev: HostPciDevice; smmu: IommuInstance }>();

  add(dev: HostPciDevice, smmu: IommuInstance, parent?: number): FakeHiod {
    const devid = this.devices.size + 1;
    this.devices.set(devid, { dev, smmu });
    const hwptId = parent ?? this.#put({ kind: 'hwpt', domain: smmu.domainAllocPaging(dev, IOMMU_HWPT_ALLOC_NEST_PARENT, null) });
    return new FakeHiod(this, dev, devid, hwptId);
  }

  #put(o: { kind: 'hwpt'; domain: IommuDomain } | { kind: 'viommu'; viommu: IommuViommu }): number {
    const id = this.#next++;
    this.objects.set(id, o);
    return id;
  }

  #kernel<T>(msg: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KernelError) throw QemuError.withErrno(msg, e.errno, 'set-iommu-device');
      throw e;
    }
  }

  getDeviceInfo(devId: number): IommuHwInfoOut {
    const { dev, smmu } = this.devices.get(devId)!;
    this.calls.push('IOMMU_GET_HW_INFO');
    const hw = smmu.hwInfo?.(dev, 0);
    return { out_data_type: hw?.type ?? IOMMU_HW_INFO_TYPE_NONE, data_len: hw?.length ?? 0, data: hw?.data ?? null, out_capabilities: 0n, out_max_pasid_log2: 0 };
  }

  allocViommu(devId: number, viommuType: number, hwptId: number): number {
    const { dev, smmu } = this.devices.get(devId)!;
    this.calls.push('IOMMU_VIOMMU_ALLOC');
    return this.#kernel('IOMMU_VIOMMU_ALLOC failed', () => {
      if (!smmu.getViommuSize?.(dev, viommuType)) throw new KernelError('EOPNOTSUPP', 'IOMMU_VIOMMU_ALLOC');
      const parent = this.objects.get(hwptId);
      if (parent?.kind !== 'hwpt') throw new KernelError('ENOENT', 'IOMMU_VIOMMU_ALLOC');
      return this.#put({ kind: 'viommu', viommu: smmu.viommuInit!(parent.domain, viommuType, dev) });
    });
  }

  allocHwpt(devId: number, ptId: number, flags: number, _dataType: number, data?: IommuHwptData): number {
    const { dev, smmu } = this.devices.get(devId)!;
    this.calls.push(`IOMMU_HWPT_ALLOC pt_id=${ptId} ste0=${data && 'ste' in data ? data.ste[0] : '-'}`);
    return this.#kernel('Failed to allocate hwpt', () => {
      const pt = this.objects.get(ptId);
      if (pt?.kind !== 'viommu') throw new KernelError('EINVAL', 'IOMMU_HWPT_ALLOC');
      if (pt.viommu.owner !== smmu) throw new KernelError('EINVAL', 'IOMMU_HWPT_ALLOC');
      return this.#put({ kind: 'hwpt', domain: smmu.viommuAllocDomainNested!(pt.viommu, dev, flags, data!) });
    });
  }

  allocVdev(): number {
    throw new Error('not used at cold plug');
  }

  freeId(id: number): void {
    this.calls.push(`IOMMU_DESTROY ${id}`);
    this.objects.delete(id);
  }

  attach(hiod: FakeHiod, id: number): void {
    const { dev, smmu } = this.devices.get(hiod.devid)!;
    this.calls.push(`ATTACH ${hiod.name} → ${id}`);
    const o = this.objects.get(id);
    try {
      if (o?.kind !== 'hwpt') throw new KernelError('ENOENT', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT');
      smmu.attachDev(o.domain, dev);
    } catch (e) {
      if (e instanceof KernelError) {
        throw QemuError.withErrno(`[iommufd=3] error attach ${hiod.name} (${20 + hiod.devid}) to id=${id}`, e.errno, 'set-iommu-device');
      }
      throw e;
    }
  }
}

export class FakeHiod extends HostIOMMUDevice implements HostIOMMUDeviceIOMMUFD {
  readonly typeName = TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO;
  readonly typeAncestors = [TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO, TYPE_HOST_IOMMU_DEVICE_IOMMUFD, TYPE_HOST_IOMMU_DEVICE];
  readonly getCap = undefined;

  constructor(
    readonly iommufd: FakeIommufd,
    dev: HostPciDevice,
    readonly devid: number,
    readonly hwptId: number,
  ) {
    super();
    this.name = dev.bdf;
  }

  realize(): void {}
  getIovaRanges(): IovaRange[] {
    return [];
  }
  getPageSizeMask(): bigint {
    return 0x1000n;
  }
  attachHwpt(hwptId: number): void {
    this.iommufd.attach(this, hwptId);
  }
  detachHwpt(): void {}
}
