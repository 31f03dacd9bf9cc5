/**
 * @viommu/intel-vtd — the Linux intel-iommu driver model (CAP/ECAP decode, hw_info, paging and
 * nested domain rules) and QEMU's intel-iommu vIOMMU (per-profile properties, realize checks,
 * VER/CAP/ECAP, set_iommu_device, vIOMMU flags, host quirks).
 */
export * from './parse/index.js';
export * from './regs.js';
export * from './host/unit.js';
export * from './host/driver.js';
export * from './vmm/profiles.js';
export * from './vmm/properties.js';
export * from './vmm/registers.js';
export * from './vmm/decide-config.js';
export * from './vmm/check-hiod.js';
export * from './vmm/flags.js';
export * from './vmm/address-space.js';
export * from './vmm/intel-iommu.js';
export * from './vmm/plugin.js';
export * from './suite-rules.js';
export * from './register.js';
