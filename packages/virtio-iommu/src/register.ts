import { SUITE_RULES, VIOMMU_PLUGIN } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { VIRTIO_IOMMU_DEVICE_MANIFEST, VIRTIO_IOMMU_PCI_MANIFEST, VirtioIommuPlugin } from './plugin.js';
import { VIRTIO_IOMMU_SUITE_RULES } from './suite-rules.js';

/**
 * Registers QEMU's virtio-iommu under `VIOMMU_PLUGIN`, once per user-pluggable type
 * (`virtio-iommu-pci`, `virtio-iommu-device`), and its `viommu suite` scenarios under
 * `SUITE_RULES`. Stateless: per-machine state lives in what `realize` returns.
 */
export function register(container: DependencyContainer): void {
  container.register(VIOMMU_PLUGIN, { useValue: new VirtioIommuPlugin(VIRTIO_IOMMU_PCI_MANIFEST) });
  container.register(VIOMMU_PLUGIN, { useValue: new VirtioIommuPlugin(VIRTIO_IOMMU_DEVICE_MANIFEST) });
  container.register(SUITE_RULES, { useValue: VIRTIO_IOMMU_SUITE_RULES });
}
