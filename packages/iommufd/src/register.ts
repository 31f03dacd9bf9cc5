import { IOMMUFD_BACKEND_FACTORY, KERNEL_SUBSYSTEM, VFIO_IOMMU_IOMMUFD } from '@viommu/core';
import { Lifecycle, type DependencyContainer } from 'tsyringe';
import { IommufdSubsystem } from './kernel/subsystem.js';
import { IOMMUFDBackendObjectFactory } from './vmm/iommufd-backend.js';
import { VfioIommuIommufd } from './vmm/vfio-iommufd.js';

/**
 * Registers, in a scenario's child container: the simulated `/dev/iommu` + VFIO cdevs
 * (`KERNEL_SUBSYSTEM`), QEMU's `vfio-iommu-iommufd` backend (`VFIO_IOMMU_IOMMUFD`) and the
 * `-object iommufd` factory (`IOMMUFD_BACKEND_FACTORY`), each one per scenario. The two VMM
 * parts need `KERNEL_UAPI`, `QEMU_PROFILE` and `TRACE` registered in the same container.
 */
export function register(container: DependencyContainer): void {
  const perScenario = { lifecycle: Lifecycle.ContainerScoped };
  container.register(KERNEL_SUBSYSTEM, { useClass: IommufdSubsystem }, perScenario);
  container.register(VFIO_IOMMU_IOMMUFD, { useClass: VfioIommuIommufd }, perScenario);
  container.register(IOMMUFD_BACKEND_FACTORY, { useClass: IOMMUFDBackendObjectFactory }, perScenario);
}
