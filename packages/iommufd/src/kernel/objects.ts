import type { IommuDomain, IommuInstance, IommuViommu, SimDeviceState } from '@viommu/core';

/**
 * The objects of one iommufd context (`struct iommufd_object` and its subtypes,
 * `drivers/iommu/iommufd/iommufd_private.h`). All share one id space per context; id 0 is
 * never used. References are plain pointers: an object is "in use" when another live
 * object points at it (the kernel's `users` refcount).
 */

/** `struct iommufd_device`: a VFIO device bound with `VFIO_DEVICE_BIND_IOMMUFD`. */
export interface DeviceObj {
  readonly kind: 'device';
  readonly id: number;
  readonly state: SimDeviceState;
  readonly inst: IommuInstance;
  /** What the RID is attached to (`VFIO_DEVICE_ATTACH_IOMMUFD_PT`), or null (blocked). */
  attached: HwptObj | null;
  vdevice: VdeviceObj | null;
}

/** `struct iommufd_ioas`: an IO address space; `areas` are the IOMMU_IOAS_MAP'd ranges. */
export interface IoasObj {
  readonly kind: 'ioas';
  readonly id: number;
  readonly areas: { iova: bigint; length: bigint }[];
}

/** `struct iommufd_hwpt_paging`. */
export interface HwptPagingObj {
  readonly kind: 'hwpt_paging';
  readonly id: number;
  readonly ioas: IoasObj;
  readonly domain: IommuDomain;
  /** Created by attaching a device to an IOAS (`iommufd_device_auto_get_domain`). */
  readonly autoDomain: boolean;
  readonly nestParent: boolean;
  dirtyTracking: boolean;
}

/** `struct iommufd_hwpt_nested`: parent is a nest-parent paging HWPT, maybe through a vIOMMU. */
export interface HwptNestedObj {
  readonly kind: 'hwpt_nested';
  readonly id: number;
  readonly parent: HwptPagingObj;
  readonly viommu: ViommuObj | null;
  readonly domain: IommuDomain;
}

export type HwptObj = HwptPagingObj | HwptNestedObj;

/** `struct iommufd_viommu`. */
export interface ViommuObj {
  readonly kind: 'viommu';
  readonly id: number;
  readonly hwpt: HwptPagingObj;
  readonly drv: IommuViommu;
  /** `vdevs` xarray: virt_id → vDEVICE. */
  readonly vdevs: Map<bigint, VdeviceObj>;
}

/** `struct iommufd_vdevice`. */
export interface VdeviceObj {
  readonly kind: 'vdevice';
  readonly id: number;
  readonly viommu: ViommuObj;
  readonly dev: DeviceObj;
  readonly virtId: bigint;
}

export type IommufdObj = DeviceObj | IoasObj | HwptPagingObj | HwptNestedObj | ViommuObj | VdeviceObj;
