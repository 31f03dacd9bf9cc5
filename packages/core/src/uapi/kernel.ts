import type * as I from './iommufd.js';
import type * as V from './vfio.js';

/**
 * Every ioctl the VMM side issues, with its argument and result shape. A request name is
 * the kernel macro; the numeric request is in `IOMMUFD_IOCTL` / `VFIO_IOCTL`.
 */
export interface IoctlMap {
  IOMMU_IOAS_ALLOC: [I.IommuIoasAlloc, I.IommuIoasAllocOut];
  IOMMU_IOAS_IOVA_RANGES: [I.IommuIoasIovaRanges, I.IommuIoasIovaRangesOut];
  IOMMU_IOAS_MAP: [I.IommuIoasMap, I.IommuIoasMapOut];
  IOMMU_IOAS_UNMAP: [I.IommuIoasUnmap, I.IommuIoasUnmapOut];
  IOMMU_GET_HW_INFO: [I.IommuHwInfo, I.IommuHwInfoOut];
  IOMMU_HWPT_ALLOC: [I.IommuHwptAlloc, I.IommuHwptAllocOut];
  IOMMU_HWPT_SET_DIRTY_TRACKING: [I.IommuHwptSetDirtyTracking, void];
  IOMMU_VIOMMU_ALLOC: [I.IommuViommuAlloc, I.IommuViommuAllocOut];
  IOMMU_VDEVICE_ALLOC: [I.IommuVdeviceAlloc, I.IommuVdeviceAllocOut];
  IOMMU_DESTROY: [I.IommuDestroy, void];
  VFIO_GET_API_VERSION: [void, number];
  VFIO_CHECK_EXTENSION: [number, number];
  VFIO_SET_IOMMU: [number, void];
  VFIO_IOMMU_GET_INFO: [V.VfioIommuType1Info, V.VfioIommuType1InfoOut];
  VFIO_GROUP_GET_STATUS: [void, V.VfioGroupStatusOut];
  VFIO_GROUP_SET_CONTAINER: [V.VfioGroupSetContainer, void];
  VFIO_GROUP_UNSET_CONTAINER: [void, void];
  VFIO_GROUP_GET_DEVICE_FD: [V.VfioGroupGetDeviceFd, number];
  VFIO_DEVICE_GET_INFO: [void, V.VfioDeviceInfoOut];
  VFIO_DEVICE_BIND_IOMMUFD: [V.VfioDeviceBindIommufd, V.VfioDeviceBindIommufdOut];
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: [V.VfioDeviceAttachIommufdPt, V.VfioDeviceAttachIommufdPtOut];
  VFIO_DEVICE_DETACH_IOMMUFD_PT: [V.VfioDeviceDetachIommufdPt, void];
}

export type IoctlName = keyof IoctlMap;

/**
 * The seam between the two worlds: what a VMM process can do to a host kernel. The
 * simulated kernel implements it; a native implementation (real syscalls) could too.
 *
 * Every method but `close` may fail by throwing a `KernelError` carrying the errno, exactly
 * where the real syscall would return -1. Paths are host paths (`/dev/iommu`,
 * `/dev/vfio/vfio`, `/dev/vfio/<group>`, `/dev/vfio/devices/vfioN`, `/sys/...`).
 */
export interface KernelUapi {
  /** `open(2)` read-write; returns a file descriptor. */
  open(path: string): number;
  /** `close(2)`; never fails. Closing an fd releases what the kernel ties to it. */
  close(fd: number): void;
  /** `ioctl(2)` with a typed request. */
  ioctl<K extends IoctlName>(fd: number, request: K, arg: IoctlMap[K][0]): IoctlMap[K][1];
  /** `readlink(2)` of a sysfs link, e.g. `/sys/bus/pci/devices/<bdf>/iommu_group`. */
  readlink(path: string): string;
  /** `readdir(3)` of a sysfs directory, e.g. `<sysfsdev>/vfio-dev`. */
  readdir(path: string): string[];
  /** Reads a sysfs/proc file, e.g. `<sysfsdev>/vfio-dev/vfio0/dev`. */
  readFile(path: string): string;
}

/** The argument type of an ioctl. */
export type IoctlArg<K extends IoctlName> = IoctlMap[K][0];
/** The result type of an ioctl. */
export type IoctlResult<K extends IoctlName> = IoctlMap[K][1];
