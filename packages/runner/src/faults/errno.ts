import type { ErrnoName } from '@viommu/core';

/**
 * The errno a sweep injects into each kernel call: one the real kernel returns there.
 * `open` of a device node: the device cgroup's `-EPERM` (`devcgroup_check_permission`);
 * sysfs lookups: `-ENOENT` (the device went away); allocations: `-ENOMEM`; the ownership
 * ioctls: `-EBUSY` (`vfio_group_set_container`, `iommufd_device_bind`, `vfio_group_get_device_fd`);
 * `IOMMU_GET_HW_INFO`: `-EOPNOTSUPP` (a driver without `hw_info`); the rest `-EINVAL`.
 */
const PLAUSIBLE: Readonly<Record<string, ErrnoName>> = {
  open: 'EPERM',
  readlink: 'ENOENT',
  readdir: 'ENOENT',
  read: 'ENOENT',
  IOMMU_IOAS_ALLOC: 'ENOMEM',
  IOMMU_HWPT_ALLOC: 'ENOMEM',
  IOMMU_VIOMMU_ALLOC: 'ENOMEM',
  IOMMU_VDEVICE_ALLOC: 'ENOMEM',
  IOMMU_IOAS_MAP: 'ENOMEM',
  IOMMU_GET_HW_INFO: 'EOPNOTSUPP',
  IOMMU_HWPT_SET_DIRTY_TRACKING: 'EOPNOTSUPP',
  VFIO_GROUP_SET_CONTAINER: 'EBUSY',
  VFIO_DEVICE_BIND_IOMMUFD: 'EBUSY',
  VFIO_GROUP_GET_DEVICE_FD: 'EBUSY',
  VFIO_GET_API_VERSION: 'ENOTTY',
  VFIO_CHECK_EXTENSION: 'ENOTTY',
  VFIO_GROUP_GET_STATUS: 'ENODEV',
};

/** The errno injected into `call`. */
export function plausibleErrno(call: string): ErrnoName {
  return PLAUSIBLE[call] ?? 'EINVAL';
}
