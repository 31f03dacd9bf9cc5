import { IOMMU_DRIVER, SUITE_RULES, VIOMMU_PLUGIN } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { IntelIommuDriver } from './host/driver.js';
import { INTEL_SUITE_RULES } from './suite-rules.js';
import { IntelIommuPlugin } from './vmm/plugin.js';

/**
 * Registers the intel-iommu vIOMMU plugin (`VIOMMU_PLUGIN`), the Linux `intel-iommu` driver
 * model (`IOMMU_DRIVER`) and the `viommu suite` scenarios (`SUITE_RULES`). All are stateless:
 * per-machine state lives in what `realize` and `probe` return.
 */
export function register(container: DependencyContainer): void {
  container.register(VIOMMU_PLUGIN, { useValue: new IntelIommuPlugin() });
  container.register(IOMMU_DRIVER, { useValue: new IntelIommuDriver() });
  container.register(SUITE_RULES, { useValue: INTEL_SUITE_RULES });
}
