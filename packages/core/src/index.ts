/**
 * @viommu/core — the contracts of the vIOMMU ⇄ host IOMMU negotiation and the mechanics
 * every package shares. See docs/architecture.md.
 */
export * from './bits.js';
export * from './errno.js';
export * from './errors.js';
export * from './trace.js';
export * from './flags.js';
export * from './host-iommu-device.js';
export * from './iommufd-backend.js';
export * from './memory.js';
export * from './machine.js';
export * from './profile.js';
export * from './plugin.js';
export * from './suite.js';
export * from './tokens.js';
export * from './pci/bdf.js';
export * from './pci/topology.js';
export * from './pci/iommu-ops.js';
export * from './pci/iommu.js';
export * from './pci/device-cache.js';
export * from './qom/keyval.js';
export * from './qom/properties.js';
export * from './qom/qdict.js';
export * from './uapi/iommufd.js';
export * from './uapi/vfio.js';
export * from './uapi/kernel.js';
export * from './uapi/traced-kernel.js';
export * from './kernel/host-model.js';
export * from './kernel/features.js';
export * from './kernel/memo.js';
export * from './kernel/params.js';
export * from './kernel/driver.js';
export * from './kernel/sim.js';
export * from './kernel/sim-kernel.js';
export * from './vfio/backend.js';
export * from './vfio/vfio-pci.js';
export * from './vfio/listener.js';
