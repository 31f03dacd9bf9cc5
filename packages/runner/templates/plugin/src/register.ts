import { SUITE_RULES, VIOMMU_PLUGIN } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { Plugin } from './plugin.js';
import { SUITE } from './suite.js';

/** What the runner calls: the plugin under `VIOMMU_PLUGIN`, its scenarios under `SUITE_RULES`. */
export function register(container: DependencyContainer): void {
  container.register(VIOMMU_PLUGIN, { useValue: new Plugin() });
  container.register(SUITE_RULES, { useValue: SUITE });
}
