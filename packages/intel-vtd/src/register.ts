import { IOMMU_DRIVER, VIOMMU_PLUGIN } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { IntelIommuDriver } from './host/driver.js';
import { IntelIommuPlugin } from './vmm/plugin.js';

/**
 * Registers the intel-iommu vIOMMU plugin (`VIOMMU_PLUGIN`) and the Linux `intel-iommu` driver
 * model (`IOMMU_DRIVER`). Both are stateless: per-machine state lives in what `realize` and
 * `probe` return.
 */
export function register(container: DependencyContainer): void {
  container.register(VIOMMU_PLUGIN, { useValue: new IntelIommuPlugin() });
  container.register(IOMMU_DRIVER, { useValue: new IntelIommuDriver() });
}
