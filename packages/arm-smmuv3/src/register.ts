import { IOMMU_DRIVER, VIOMMU_PLUGIN } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { ArmSmmuV3Driver } from './host/driver.js';
import { ArmSmmuV3Plugin } from './vmm/plugin.js';

/**
 * Registers the arm-smmuv3 vIOMMU plugin (`VIOMMU_PLUGIN`) and the Linux `arm-smmu-v3` driver
 * model (`IOMMU_DRIVER`). Both are stateless: per-machine state lives in what `realize` and
 * `probe` return.
 */
export function register(container: DependencyContainer): void {
  container.register(VIOMMU_PLUGIN, { useValue: new ArmSmmuV3Plugin() });
  container.register(IOMMU_DRIVER, { useValue: new ArmSmmuV3Driver() });
}
