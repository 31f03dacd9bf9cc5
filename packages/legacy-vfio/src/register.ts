import { KERNEL_SUBSYSTEM, VFIO_IOMMU_LEGACY } from '@viommu/core';
import { Lifecycle, type DependencyContainer } from 'tsyringe';
import { VfioType1Subsystem } from './kernel/subsystem.js';
import { VfioIommuLegacy } from './vmm/backend.js';

/**
 * Registers the simulated VFIO type1 kernel part (`KERNEL_SUBSYSTEM`: `/dev/vfio/vfio` and
 * `/dev/vfio/<group>`) and QEMU's legacy backend (`VFIO_IOMMU_LEGACY`). Both keep per-machine
 * state, so both are container-scoped: register into each scenario's child container.
 */
export function register(container: DependencyContainer): void {
  container.register(KERNEL_SUBSYSTEM, { useClass: VfioType1Subsystem }, { lifecycle: Lifecycle.ContainerScoped });
  container.register(VFIO_IOMMU_LEGACY, { useClass: VfioIommuLegacy }, { lifecycle: Lifecycle.ContainerScoped });
}
