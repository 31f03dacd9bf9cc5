/**
 * @viommu/iommufd — the iommufd backend: the simulated kernel's `/dev/iommu` and VFIO device
 * cdevs, and QEMU's side (`-object iommufd`, `HostIOMMUDeviceIOMMUFDVFIO`, the VFIO cdev
 * attach sequence). Use `register(container)`; nothing else names these classes.
 */
export { register } from './register.js';
export { TYPE_IOMMUFD_BACKEND, iommufdOptionRefusal } from './vmm/qom.js';
