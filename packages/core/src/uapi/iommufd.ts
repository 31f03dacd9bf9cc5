/**
 * iommufd uAPI, Linux `include/uapi/linux/iommufd.h`: constants with the kernel's values and
 * the argument/result shapes of each ioctl (field names kept). 64-bit fields are bigint.
 */

/** `IOMMUFD_TYPE` = ';': every request is `0x3b00 | nr`. */
export const IOMMUFD_TYPE = 0x3b;

/** Request numbers (`IOMMUFD_CMD_*` + the `_IO(IOMMUFD_TYPE, nr)` encoding). */
export const IOMMUFD_IOCTL = {
  IOMMU_DESTROY: 0x3b80,
  IOMMU_IOAS_ALLOC: 0x3b81,
  IOMMU_IOAS_ALLOW_IOVAS: 0x3b82,
  IOMMU_IOAS_COPY: 0x3b83,
  IOMMU_IOAS_IOVA_RANGES: 0x3b84,
  IOMMU_IOAS_MAP: 0x3b85,
  IOMMU_IOAS_UNMAP: 0x3b86,
  IOMMU_OPTION: 0x3b87,
  IOMMU_VFIO_IOAS: 0x3b88,
  IOMMU_HWPT_ALLOC: 0x3b89,
  IOMMU_GET_HW_INFO: 0x3b8a,
  IOMMU_HWPT_SET_DIRTY_TRACKING: 0x3b8b,
  IOMMU_HWPT_GET_DIRTY_BITMAP: 0x3b8c,
  IOMMU_HWPT_INVALIDATE: 0x3b8d,
  IOMMU_FAULT_QUEUE_ALLOC: 0x3b8e,
  IOMMU_IOAS_MAP_FILE: 0x3b8f,
  IOMMU_VIOMMU_ALLOC: 0x3b90,
  IOMMU_VDEVICE_ALLOC: 0x3b91,
  IOMMU_IOAS_CHANGE_PROCESS: 0x3b92,
  IOMMU_VEVENTQ_ALLOC: 0x3b93,
  IOMMU_HW_QUEUE_ALLOC: 0x3b94,
} as const;

/** `enum iommufd_hwpt_alloc_flags`. */
export const IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0;
export const IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;
export const IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;
export const IOMMU_HWPT_ALLOC_PASID = 1 << 3;

/** `enum iommu_hwpt_data_type`. */
export const IOMMU_HWPT_DATA_NONE = 0;
export const IOMMU_HWPT_DATA_VTD_S1 = 1;
export const IOMMU_HWPT_DATA_ARM_SMMUV3 = 2;
export const IOMMU_HWPT_DATA_SELFTEST = 0xdead;

/** `enum iommu_hw_info_type`. `DEFAULT` is the input alias of `NONE`. */
export const IOMMU_HW_INFO_TYPE_NONE = 0;
export const IOMMU_HW_INFO_TYPE_DEFAULT = 0;
export const IOMMU_HW_INFO_TYPE_INTEL_VTD = 1;
export const IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2;
export const IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3;
export const IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;

/** `iommu_hw_info.flags`. */
export const IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0;

/** `enum iommufd_hw_capabilities` (`out_capabilities`, a u64). */
export const IOMMU_HW_CAP_DIRTY_TRACKING = 1n << 0n;
export const IOMMU_HW_CAP_PCI_PASID_EXEC = 1n << 1n;
export const IOMMU_HW_CAP_PCI_PASID_PRIV = 1n << 2n;

/** `enum iommu_hw_info_vtd_flags`. */
export const IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0;

/** `enum iommu_viommu_type`. */
export const IOMMU_VIOMMU_TYPE_DEFAULT = 0;
export const IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2;
export const IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;

/** `enum iommufd_ioas_map_flags`. */
export const IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
export const IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
export const IOMMU_IOAS_MAP_READABLE = 1 << 2;

/** `IOMMU_HWPT_DIRTY_TRACKING_ENABLE`. */
export const IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1;

/** `struct iommu_iova_range`: inclusive `[start, last]`. */
export interface IovaRange {
  readonly start: bigint;
  readonly last: bigint;
}

/** `struct iommu_hw_info_vtd` (24 bytes). */
export interface IommuHwInfoVtd {
  readonly type: typeof IOMMU_HW_INFO_TYPE_INTEL_VTD;
  readonly flags: number;
  readonly cap_reg: bigint;
  readonly ecap_reg: bigint;
}

/** `struct iommu_hw_info_arm_smmuv3` (40 bytes): raw IDR0..5, IIDR, AIDR (32-bit registers). */
export interface IommuHwInfoArmSmmuv3 {
  readonly type: typeof IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
  readonly flags: number;
  readonly idr: readonly [bigint, bigint, bigint, bigint, bigint, bigint];
  readonly iidr: bigint;
  readonly aidr: bigint;
}

/** `struct iommu_test_hw_info` (selftest mock driver). */
export interface IommuTestHwInfo {
  readonly type: typeof IOMMU_HW_INFO_TYPE_SELFTEST;
  readonly flags: number;
  readonly test_reg: number;
}

/** The vendor data a `IOMMU_GET_HW_INFO` returns (QEMU's `VendorCaps` union, discriminated). */
export type IommuHwInfoData = IommuHwInfoVtd | IommuHwInfoArmSmmuv3 | IommuTestHwInfo;

/** Byte length of each vendor struct, as the kernel reports it in `data_len`. */
export const IOMMU_HW_INFO_DATA_LEN: Readonly<Record<number, number>> = {
  [IOMMU_HW_INFO_TYPE_INTEL_VTD]: 24,
  [IOMMU_HW_INFO_TYPE_ARM_SMMUV3]: 40,
  [IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV]: 8,
  [IOMMU_HW_INFO_TYPE_SELFTEST]: 8,
};

/** `struct iommu_hwpt_vtd_s1`. */
export interface IommuHwptVtdS1 {
  readonly type: typeof IOMMU_HWPT_DATA_VTD_S1;
  readonly flags: bigint;
  readonly pgtbl_addr: bigint;
  readonly addr_width: number;
}

/** `struct iommu_hwpt_arm_smmuv3`: the first two little-endian double-words of a guest STE. */
export interface IommuHwptArmSmmuv3 {
  readonly type: typeof IOMMU_HWPT_DATA_ARM_SMMUV3;
  readonly ste: readonly [bigint, bigint];
}

/** `struct iommu_hwpt_selftest`. */
export interface IommuHwptSelftest {
  readonly type: typeof IOMMU_HWPT_DATA_SELFTEST;
  readonly iotlb: number;
}

/** User data of a `IOMMU_HWPT_ALLOC`, discriminated by `data_type`. */
export type IommuHwptData = IommuHwptVtdS1 | IommuHwptArmSmmuv3 | IommuHwptSelftest;

/** `IOMMU_IOAS_ALLOC`. */
export interface IommuIoasAlloc {
  readonly flags: number;
}
export interface IommuIoasAllocOut {
  readonly out_ioas_id: number;
}

/** `IOMMU_IOAS_IOVA_RANGES` (`EMSGSIZE` with `num_iovas` set when the array is too small). */
export interface IommuIoasIovaRanges {
  readonly ioas_id: number;
  readonly num_iovas: number;
}
export interface IommuIoasIovaRangesOut {
  readonly num_iovas: number;
  readonly allowed_iovas: readonly IovaRange[];
  readonly out_iova_alignment: bigint;
}

/** `IOMMU_IOAS_MAP`. */
export interface IommuIoasMap {
  readonly flags: number;
  readonly ioas_id: number;
  readonly user_va: bigint;
  readonly length: bigint;
  readonly iova: bigint;
}
export interface IommuIoasMapOut {
  readonly iova: bigint;
}

/** `IOMMU_IOAS_UNMAP`. */
export interface IommuIoasUnmap {
  readonly ioas_id: number;
  readonly iova: bigint;
  readonly length: bigint;
}
export interface IommuIoasUnmapOut {
  readonly length: bigint;
}

/** `IOMMU_GET_HW_INFO`. `data_len` is the caller's buffer size (0 is legal). */
export interface IommuHwInfo {
  readonly flags: number;
  readonly dev_id: number;
  readonly data_len: number;
  readonly in_data_type?: number;
}
export interface IommuHwInfoOut {
  readonly out_data_type: number;
  /** Length the kernel has for its type. */
  readonly data_len: number;
  /** The vendor struct, or null for type NONE or a zero-length buffer. */
  readonly data: IommuHwInfoData | null;
  readonly out_capabilities: bigint;
  readonly out_max_pasid_log2: number;
}

/** `IOMMU_HWPT_ALLOC`. `pt_id` is an IOAS, a nest-parent HWPT or a vIOMMU. */
export interface IommuHwptAlloc {
  readonly flags: number;
  readonly dev_id: number;
  readonly pt_id: number;
  readonly data_type: number;
  readonly data?: IommuHwptData;
  readonly fault_id?: number;
  readonly __reserved?: number;
}
export interface IommuHwptAllocOut {
  readonly out_hwpt_id: number;
}

/** `IOMMU_HWPT_SET_DIRTY_TRACKING`. */
export interface IommuHwptSetDirtyTracking {
  readonly flags: number;
  readonly hwpt_id: number;
}

/** `IOMMU_VIOMMU_ALLOC`. */
export interface IommuViommuAlloc {
  readonly flags: number;
  readonly type: number;
  readonly dev_id: number;
  readonly hwpt_id: number;
}
export interface IommuViommuAllocOut {
  readonly out_viommu_id: number;
}

/** `IOMMU_VDEVICE_ALLOC`. */
export interface IommuVdeviceAlloc {
  readonly viommu_id: number;
  readonly dev_id: number;
  readonly virt_id: bigint;
}
export interface IommuVdeviceAllocOut {
  readonly out_vdevice_id: number;
}

/** `IOMMU_DESTROY`. */
export interface IommuDestroy {
  readonly id: number;
}
