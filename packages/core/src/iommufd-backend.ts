import type { HostIOMMUDevice } from './host-iommu-device.js';
import type { IommuHwInfoOut, IommuHwptData } from './uapi/iommufd.js';

/**
 * The `-object iommufd,id=…` backend as vIOMMUs see it (QEMU `IOMMUFDBackend`,
 * `backends/iommufd.c`). Implemented by `@viommu/iommufd`. Every method that issues an
 * ioctl throws a `QemuError` with QEMU's text (`Failed to allocate hwpt: …`) on failure.
 */
export interface IOMMUFDBackend {
  /** The object's `id=`. */
  readonly id: string;
  /** `iommufd_backend_alloc_hwpt` → `out_hwpt_id`. */
  allocHwpt(devId: number, ptId: number, flags: number, dataType: number, data?: IommuHwptData): number;
  /** `iommufd_backend_alloc_viommu` → `viommu_id`. */
  allocViommu(devId: number, viommuType: number, hwptId: number): number;
  /** `iommufd_backend_alloc_vdev` → `vdevice_id`. */
  allocVdev(devId: number, viommuId: number, virtId: bigint): number;
  /** `iommufd_backend_get_device_info`. */
  getDeviceInfo(devId: number, dataLen: number): IommuHwInfoOut;
  /** `iommufd_backend_free_id` (`IOMMU_DESTROY`); failures are only logged, as in QEMU. */
  freeId(id: number): void;
}

/**
 * `HostIOMMUDeviceIOMMUFD` (10.1+ fields): the iommufd flavour of the host IOMMU device.
 * A vIOMMU checks `hiod.isA(TYPE_HOST_IOMMU_DEVICE_IOMMUFD)` before treating it as this.
 */
export interface HostIOMMUDeviceIOMMUFD extends HostIOMMUDevice {
  readonly iommufd: IOMMUFDBackend;
  /** Kernel device id from `VFIO_DEVICE_BIND_IOMMUFD`. */
  readonly devid: number;
  /** The HWPT VFIO attached the device to (for SMMUv3 accel: the nesting parent). */
  readonly hwptId: number;
  /** `host_iommu_device_iommufd_attach_hwpt`; throws QemuError. */
  attachHwpt(hwptId: number, pasid?: number): void;
  /** `host_iommu_device_iommufd_detach_hwpt`; throws QemuError. */
  detachHwpt(pasid?: number): void;
}
