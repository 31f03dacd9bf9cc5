import {
  IOMMU_HW_INFO_TYPE_DEFAULT,
  IOMMU_HW_INFO_TYPE_SELFTEST,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_VIOMMU_TYPE_SELFTEST,
  KernelError,
  type HostIommuUnit,
  type HostPciDevice,
  type HwInfoResult,
  type IommuCap,
  type IommuDomain,
  type IommuDriver,
  type IommuHwptData,
  type IommuInstance,
  type IommuViommu,
  type IovaRange,
} from '@viommu/core';

/**
 * Test-only IOMMU driver, after the kernel's `iommufd-mock` (`drivers/iommu/iommufd/selftest.c`):
 * hw_info type `IOMMU_HW_INFO_TYPE_SELFTEST` with `test_reg = 0xdeadbeef`, aperture
 * `[MOCK_APERTURE_START, MOCK_APERTURE_LAST]`, paging flags NEST_PARENT / DIRTY_TRACKING /
 * PASID, nested data `IOMMU_HWPT_DATA_SELFTEST`, vIOMMU type `IOMMU_VIOMMU_TYPE_SELFTEST`.
 * A unit's `extra.noDirty` is `MOCK_FLAGS_DEVICE_NO_DIRTY`, `extra.noNesting` refuses
 * NEST_PARENT (EOPNOTSUPP, as a host without nesting does); `extra.resv` a reserved region
 * `"start:last"`. Domains only attach to devices behind the unit that allocated them (EINVAL
 * otherwise), the way real drivers refuse another instance's domain.
 */
export const MOCK_APERTURE_START = 1n << 24n;
export const MOCK_APERTURE_LAST = (1n << 31n) - 1n;
export const IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;
/** `MOCK_IO_PAGE_SIZE` = PAGE_SIZE / 2. */
export const MOCK_IO_PAGE_SIZE = 2048n;
export const MOCK_PASID_WIDTH = 20;

class MockInstance implements IommuInstance {
  readonly aperture: IovaRange = { start: MOCK_APERTURE_START, last: MOCK_APERTURE_LAST };
  readonly pgsizeBitmap = MOCK_IO_PAGE_SIZE;

  constructor(
    readonly driver: IommuDriver,
    readonly unit: HostIommuUnit,
  ) {}

  get #noDirty(): boolean {
    return this.unit.extra?.['noDirty'] === true;
  }

  capable(cap: IommuCap): boolean {
    return cap === 'DIRTY_TRACKING' ? !this.#noDirty : true;
  }

  hwInfo(_dev: HostPciDevice, requestedType: number): HwInfoResult {
    if (requestedType !== IOMMU_HW_INFO_TYPE_DEFAULT && requestedType !== IOMMU_HW_INFO_TYPE_SELFTEST) {
      throw new KernelError('EOPNOTSUPP', 'IOMMU_GET_HW_INFO', 'mock_domain_hw_info');
    }
    return { type: IOMMU_HW_INFO_TYPE_SELFTEST, length: 8, data: { type: IOMMU_HW_INFO_TYPE_SELFTEST, flags: 0, test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL } };
  }

  maxPasids(dev: HostPciDevice): number {
    return dev.pasidLog2 ? 2 ** MOCK_PASID_WIDTH : 0;
  }

  reservedRegions(): IovaRange[] {
    const r = this.unit.extra?.['resv'];
    if (typeof r !== 'string') return [];
    const [start, last] = r.split(':').map((x) => BigInt(x));
    return [{ start: start!, last: last! }];
  }

  domainAllocPaging(_dev: HostPciDevice, flags: number, data: IommuHwptData | null): IommuDomain {
    const known = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID;
    if (flags & ~known || data) throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', 'mock_domain_alloc_paging_flags');
    if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && this.#noDirty) throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', 'no dirty');
    if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT && this.unit.extra?.['noNesting'] === true) {
      throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', 'no nesting');
    }
    return { kind: 'paging', owner: this, flags };
  }

  domainAllocNested(_dev: HostPciDevice, parent: IommuDomain, flags: number, data: IommuHwptData): IommuDomain {
    if (data.type !== IOMMU_HWPT_DATA_SELFTEST) throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', 'mock nested data type');
    return { kind: 'nested', owner: this, flags, parent, vendor: { iotlb: data.iotlb } };
  }

  attachDev(domain: IommuDomain): void {
    if (domain.owner !== this) throw new KernelError('EINVAL', 'attach_dev', 'domain of another mock IOMMU');
    if (domain.flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && this.#noDirty) throw new KernelError('EINVAL', 'attach_dev', 'no dirty');
  }

  getViommuSize(_dev: HostPciDevice, viommuType: number): number {
    return viommuType === IOMMU_VIOMMU_TYPE_SELFTEST ? 1 : 0;
  }

  viommuInit(parent: IommuDomain, viommuType: number): IommuViommu {
    return { type: viommuType, owner: this, parent };
  }

  viommuAllocDomainNested(viommu: IommuViommu, dev: HostPciDevice, flags: number, data: IommuHwptData): IommuDomain {
    return this.domainAllocNested(dev, viommu.parent, flags, data);
  }
}

export class MockIommuDriver implements IommuDriver {
  readonly name = 'iommufd-mock';
  readonly vendor = 'mock';

  probe(unit: HostIommuUnit): IommuInstance {
    return new MockInstance(this, unit);
  }
}
