import type { IommuHwInfoData, IommuHwptData, IovaRange } from '../uapi/iommufd.js';
import type { KernelFeatures } from './features.js';
import type { HostIommuUnit, HostPciDevice } from './host-model.js';

/**
 * The kernel-side IOMMU driver contract (Linux `struct iommu_ops` + `struct
 * iommu_domain_ops` + `struct iommufd_viommu_ops`), as the simulated kernel calls it.
 * Vendor packages implement it (`@viommu/intel-vtd`: VT-d, `@viommu/arm-smmuv3`: SMMUv3);
 * the iommufd selftests' mock driver implements it in tests.
 *
 * Every fallible method throws a `KernelError` with the errno the real driver returns.
 * The simulated kernel does the generic iommufd checks (sizes, reserved fields, object
 * ids and types, refcounts) before calling the driver; the driver only does what the
 * vendor code does.
 */
export interface IommuDriver {
  /** Driver name as the kernel has it (`intel-iommu`, `arm-smmu-v3`, `iommufd-mock`). */
  readonly name: string;
  /** Vendor key matching `HostIommuUnit.vendor`. */
  readonly vendor: string;
  /**
   * Probes one hardware unit from its raw registers (`intel_iommu_init` / `arm_smmu_device_hw_probe`).
   * Throws `KernelError('ENODEV')` when the driver would not bind (e.g. unusable registers).
   * `units` is every IOMMU unit of the host, for host-wide decisions the kernel takes over all
   * units of a driver (VT-d interrupt remapping is enabled only when every DRHD has ECAP.IR).
   */
  probe(unit: HostIommuUnit, features: KernelFeatures, cmdline: string, units?: readonly HostIommuUnit[]): IommuInstance;
}

/** `enum iommu_cap` values the core asks (`device_iommu_capable`). */
export type IommuCap = 'DIRTY_TRACKING' | 'CACHE_COHERENCY' | 'ENFORCE_CACHE_COHERENCY';

/** What `hw_info` returns: the concrete type and the vendor struct. */
export interface HwInfoResult {
  readonly type: number;
  readonly data: IommuHwInfoData;
  readonly length: number;
}

/**
 * A domain (kernel `struct iommu_domain`) as the driver created it. The simulated kernel
 * wraps it in a HWPT object; `vendor` is opaque to it.
 */
export interface IommuDomain {
  readonly kind: 'paging' | 'nested';
  /** The instance that owns it (domains are per IOMMU instance for compatibility). */
  readonly owner: IommuInstance;
  /** `IOMMU_HWPT_ALLOC_*` flags it was allocated with. */
  readonly flags: number;
  /** Parent of a nested domain. */
  readonly parent?: IommuDomain;
  /** Driver-private state (page-table format, address width, vSTE …). */
  readonly vendor?: unknown;
}

/** Driver state of a vIOMMU object (`struct iommufd_viommu` + driver part). */
export interface IommuViommu {
  readonly type: number;
  readonly owner: IommuInstance;
  readonly parent: IommuDomain;
  readonly vendor?: unknown;
}

/** One probed IOMMU unit (`struct intel_iommu`, `struct arm_smmu_device`). */
export interface IommuInstance {
  readonly driver: IommuDriver;
  readonly unit: HostIommuUnit;

  /** `device_iommu_capable(dev, cap)`. */
  capable(cap: IommuCap, dev: HostPciDevice): boolean;

  /**
   * `iommu_ops.hw_info(dev, &length, &type)`: the vendor struct for `IOMMU_GET_HW_INFO`.
   * `requestedType` is `IOMMU_HW_INFO_TYPE_DEFAULT` unless userspace asked for one.
   * Absent when the driver has none (then the kernel reports type NONE, length 0).
   */
  hwInfo?(dev: HostPciDevice, requestedType: number): HwInfoResult;

  /** `dev->iommu->max_pasids` set at probe (0: PASID not enabled for this device). */
  maxPasids(dev: HostPciDevice): number;

  /**
   * `msi_device_has_isolated_msi(dev)`: the device's MSIs go through an isolating irq domain
   * (x86 interrupt remapping, the GICv3 ITS). VFIO type1 refuses a group without it (EPERM)
   * unless `vfio_iommu_type1.allow_unsafe_interrupts` is set. Absent: isolated.
   */
  isolatedMsi?(dev: HostPciDevice): boolean;

  /** `iommu_get_resv_regions`: ranges a domain may not map (e.g. the x86 MSI window). */
  reservedRegions(dev: HostPciDevice): IovaRange[];

  /** Aperture of a paging domain (`domain->geometry`), inclusive. */
  readonly aperture: IovaRange;

  /** `pgsize_bitmap` of a paging domain (bit n ⇒ 2^n bytes). */
  readonly pgsizeBitmap: bigint;

  /**
   * `domain_alloc_paging_flags(dev, flags, user_data)`: a paging domain for `IOMMU_HWPT_ALLOC`
   * on an IOAS. `data` is user data (paging HWPTs with data are refused by Intel and ARM).
   * Throws `EOPNOTSUPP` for flags the hardware cannot honour.
   */
  domainAllocPaging(dev: HostPciDevice, flags: number, data: IommuHwptData | null): IommuDomain;

  /**
   * `domain_alloc_nested(dev, parent, flags, user_data)`, absent when the driver cannot nest.
   * Validates the vendor data (VT-d `iommu_hwpt_vtd_s1`, SMMUv3 vSTE).
   */
  domainAllocNested?(dev: HostPciDevice, parent: IommuDomain, flags: number, data: IommuHwptData): IommuDomain;

  /**
   * `attach_dev(domain, dev)`: throws `EINVAL` when the domain is incompatible with this
   * device's IOMMU (other instance, narrower address width, missing dirty tracking, …) —
   * the errno QEMU's auto-domain loop treats as "try the next HWPT".
   */
  attachDev(domain: IommuDomain, dev: HostPciDevice): void;

  /** `get_viommu_size(dev, type)`: 0 when the vIOMMU type is not supported. Absent: none. */
  getViommuSize?(dev: HostPciDevice, viommuType: number): number;

  /** `viommu_init`: creates the driver part of a vIOMMU on a nest parent. */
  viommuInit?(parent: IommuDomain, viommuType: number, dev: HostPciDevice): IommuViommu;

  /** vIOMMU-based `alloc_domain_nested` (≥6.13): a nested domain through a vIOMMU. */
  viommuAllocDomainNested?(viommu: IommuViommu, dev: HostPciDevice, flags: number, data: IommuHwptData): IommuDomain;

  /** `vdevice_init` checks for `IOMMU_VDEVICE_ALLOC` (virt_id rules etc.). */
  vdeviceInit?(viommu: IommuViommu, dev: HostPciDevice, virtId: bigint): void;

  /** `IOMMU_DESTROY` of a vDEVICE (or its forced destroy when the device is unbound): the driver forgets the vID. */
  vdeviceDestroy?(viommu: IommuViommu, dev: HostPciDevice): void;
}
