/**
 * @viommu/virtio-iommu — QEMU's virtio-iommu (hw/virtio/virtio-iommu.c, virtio-iommu-pci.c)
 * as a vIOMMU plugin, built only on what `@viommu/core` exports: per-profile properties and
 * machine compat, the virtio config the guest reads, the 7.2 page-size negotiation through the
 * IOMMU region and 9.1+'s `set_iommu_device` (host IOVA ranges → reserved regions, page-size
 * mask and frozen granule).
 */
export * from './profiles.js';
export * from './properties.js';
export * from './reserved-regions.js';
export * from './config.js';
export * from './page-size-mask.js';
export * from './machine.js';
export * from './options.js';
export * from './device.js';
export * from './plugin.js';
export * from './suite-rules.js';
export * from './register.js';
