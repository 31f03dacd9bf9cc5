/**
 * @viommu/arm-smmuv3 — the Linux arm-smmu-v3 driver model (ID registers, hw_info, domain and
 * vSMMU rules) and QEMU's arm-smmuv3 vIOMMU (per-profile registers, properties, machine rules,
 * accel nesting through iommufd).
 */
export * from './parse/index.js';
export * from './regs.js';
export * from './host/features.js';
export * from './host/vste.js';
export * from './host/driver.js';
export * from './vmm/profiles.js';
export * from './vmm/properties.js';
export * from './vmm/id-regs.js';
export * from './vmm/validate.js';
export * from './vmm/machine.js';
export * from './vmm/address-space.js';
export * from './vmm/accel-compat.js';
export * from './vmm/accel.js';
export * from './vmm/guest.js';
export * from './vmm/smmuv3.js';
export * from './vmm/plugin.js';
export * from './suite-rules.js';
export * from './register.js';
