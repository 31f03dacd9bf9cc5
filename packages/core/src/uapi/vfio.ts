import type { IovaRange } from './iommufd.js';

/**
 * VFIO uAPI, Linux `include/uapi/linux/vfio.h`: the type1 container/group ioctls and the
 * device cdev + iommufd binding, with the kernel's constant values.
 */

export const VFIO_API_VERSION = 0;

/** `VFIO_CHECK_EXTENSION` arguments. */
export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_SPAPR_TCE_IOMMU = 2;
export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_DMA_CC_IOMMU = 4;
export const VFIO_EEH = 5;
export const VFIO_SPAPR_TCE_v2_IOMMU = 7;
export const VFIO_NOIOMMU_IOMMU = 8;
export const VFIO_UNMAP_ALL = 9;
export const VFIO_UPDATE_VADDR = 10;

/** Request numbers (`_IO(VFIO_TYPE, VFIO_BASE + n)`). */
export const VFIO_IOCTL = {
  VFIO_GET_API_VERSION: 0x3b64,
  VFIO_CHECK_EXTENSION: 0x3b65,
  VFIO_SET_IOMMU: 0x3b66,
  VFIO_GROUP_GET_STATUS: 0x3b67,
  VFIO_GROUP_SET_CONTAINER: 0x3b68,
  VFIO_GROUP_UNSET_CONTAINER: 0x3b69,
  VFIO_GROUP_GET_DEVICE_FD: 0x3b6a,
  VFIO_DEVICE_GET_INFO: 0x3b6b,
  VFIO_IOMMU_GET_INFO: 0x3b70,
  VFIO_IOMMU_MAP_DMA: 0x3b71,
  VFIO_IOMMU_UNMAP_DMA: 0x3b72,
  VFIO_DEVICE_BIND_IOMMUFD: 0x3b76,
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: 0x3b77,
  VFIO_DEVICE_DETACH_IOMMUFD_PT: 0x3b78,
} as const;

/** `VFIO_GROUP_GET_STATUS` flags. */
export const VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
export const VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;

/** `vfio_iommu_type1_info.flags`. */
export const VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
export const VFIO_IOMMU_INFO_CAPS = 1 << 1;

/** Type1 info capability ids. */
export const VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
export const VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2;
export const VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

/** `VFIO_DEVICE_ATTACH_PASID` / `VFIO_DEVICE_DETACH_PASID`. */
export const VFIO_DEVICE_ATTACH_PASID = 1 << 0;
export const VFIO_DEVICE_DETACH_PASID = 1 << 0;

/** One entry of the `VFIO_IOMMU_GET_INFO` capability chain. */
export type VfioIommuType1InfoCap =
  | {
      readonly id: typeof VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
      readonly version: 1;
      /** `struct vfio_iova_range`: inclusive `end`, reported here as `last`. */
      readonly iova_ranges: readonly IovaRange[];
    }
  | {
      readonly id: typeof VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
      readonly version: 1;
      readonly flags: number;
      readonly pgsize_bitmap: bigint;
      readonly max_dirty_bitmap_size: bigint;
    }
  | { readonly id: typeof VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL; readonly version: 1; readonly avail: number };

/**
 * `VFIO_IOMMU_GET_INFO`. When `argsz` is too small for the capabilities, the kernel only
 * raises `argsz` (no error, `cap_offset = 0`, `caps` empty) and the caller retries.
 */
export interface VfioIommuType1Info {
  readonly argsz: number;
}
export interface VfioIommuType1InfoOut {
  readonly argsz: number;
  readonly flags: number;
  readonly iova_pgsizes: bigint;
  readonly cap_offset: number;
  readonly caps: readonly VfioIommuType1InfoCap[];
}

/** `VFIO_GROUP_GET_STATUS`. */
export interface VfioGroupStatusOut {
  readonly flags: number;
}

/** `VFIO_GROUP_SET_CONTAINER`: the container fd. */
export interface VfioGroupSetContainer {
  readonly container_fd: number;
}

/** `VFIO_GROUP_GET_DEVICE_FD`: device name (its BDF); returns a device fd. */
export interface VfioGroupGetDeviceFd {
  readonly name: string;
}

/** `VFIO_DEVICE_GET_INFO`. */
export interface VfioDeviceInfoOut {
  readonly flags: number;
  readonly num_regions: number;
  readonly num_irqs: number;
}

/** `VFIO_DEVICE_BIND_IOMMUFD`. */
export interface VfioDeviceBindIommufd {
  readonly flags: number;
  readonly iommufd: number;
}
export interface VfioDeviceBindIommufdOut {
  readonly out_devid: number;
}

/** `VFIO_DEVICE_ATTACH_IOMMUFD_PT`: `pt_id` in is an IOAS or HWPT; out is the HWPT attached. */
export interface VfioDeviceAttachIommufdPt {
  readonly flags: number;
  readonly pt_id: number;
  readonly pasid?: number;
}
export interface VfioDeviceAttachIommufdPtOut {
  readonly pt_id: number;
}

/** `VFIO_DEVICE_DETACH_IOMMUFD_PT`. */
export interface VfioDeviceDetachIommufdPt {
  readonly flags: number;
  readonly pasid?: number;
}
