import type { ProfileId, PropertyDecl } from '@viommu/core';
import { SMMU_PROFILES } from './profiles.js';

/** QOM type names. */
export const TYPE_ARM_SMMUV3 = 'arm-smmuv3';
export const TYPE_SMMUV3_IOMMU_MEMORY_REGION = 'smmuv3-iommu-memory-region';

/** `smmu_dev_properties` (smmu-common.c): every profile. Links are strings (the bus id). */
const COMMON: readonly PropertyDecl[] = [
  { name: 'bus_num', type: 'uint8', default: 0, field: 'bus_num' },
  { name: 'primary-bus', type: 'string', default: '', field: 'primary_bus', description: 'link<PCI>: the root bus it translates' },
];

const STAGE: PropertyDecl = {
  name: 'stage',
  type: 'string',
  default: '',
  field: 'stage',
  description: '"2": stage 2 only, "nested" (9.1+): both; anything else: stage 1',
};

const SMMU_PER_BUS: PropertyDecl = { name: 'smmu_per_bus', type: 'bool', default: false, field: 'smmu_per_bus' };

/** master's `smmuv3_properties` accel part and the smmu-common memory links. */
const ACCEL: readonly PropertyDecl[] = [
  { name: 'memory', type: 'string', default: '', field: 'memory', description: 'link<MemoryRegion>, set by the machine' },
  { name: 'secure-memory', type: 'string', default: '', field: 'secure_memory', description: 'link<MemoryRegion>, set by the machine' },
  { name: 'accel', type: 'bool', default: false, field: 'accel', description: 'nested translation on the host SMMU through iommufd' },
  { name: 'msi-gpa', type: 'uint64', default: 0n, field: 'msi_gpa', description: 'MSI doorbell GPA, set by virt with accel' },
  { name: 'ril', type: 'bool', default: true, field: 'ril', description: 'IDR3.RIL (accel only)' },
  { name: 'ats', type: 'bool', default: false, field: 'ats', description: 'IDR0.ATS (accel only)' },
  { name: 'oas', type: 'uint8', default: 44, field: 'oas', description: 'IDR5.OAS in bits: 44 or 48 (accel only)' },
  { name: 'ssidsize', type: 'uint8', default: 0, field: 'ssidsize', description: 'IDR1.SSIDSIZE, 0..20 (accel only)' },
];

/** The QOM properties of `arm-smmuv3` in a profile, with their class defaults. */
export function smmuProperties(profile: ProfileId): readonly PropertyDecl[] {
  const p = SMMU_PROFILES[profile];
  return [
    ...COMMON,
    ...(p.smmuPerBus ? [SMMU_PER_BUS] : []),
    ...(p.stages.length ? [STAGE] : []),
    ...(p.accel ? ACCEL : []),
  ];
}
