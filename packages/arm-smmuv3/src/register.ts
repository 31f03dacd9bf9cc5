import { IOMMU_DRIVER, SUITE_RULES, VIOMMU_PLUGIN } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { ArmSmmuV3Driver } from './host/driver.js';
import { ARM_SMMUV3_SUITE_RULES } from './suite-rules.js';
import { ArmSmmuV3Plugin } from './vmm/plugin.js';

/**
 * Registers the arm-smmuv3 vIOMMU plugin (`VIOMMU_PLUGIN`), the Linux `arm-smmu-v3` driver
 * model (`IOMMU_DRIVER`) and the `viommu suite` scenarios (`SUITE_RULES`). All are stateless:
 * per-machine state lives in what `realize` and `probe` return.
 */
export function register(container: DependencyContainer): void {
  container.register(VIOMMU_PLUGIN, { useValue: new ArmSmmuV3Plugin() });
  container.register(IOMMU_DRIVER, { useValue: new ArmSmmuV3Driver() });
  container.register(SUITE_RULES, { useValue: ARM_SMMUV3_SUITE_RULES });
}
