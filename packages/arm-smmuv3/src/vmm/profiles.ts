import type { ProfileId } from '@viommu/core';

/**
 * What each QEMU profile's arm-smmuv3 model has (reference `qemu-host-iommu-smmuv3.md` §4, §8;
 * hw/arm/smmuv3.c, smmu-common.c, virt.c of each release). Code asks this table, never a
 * version number.
 */
export interface SmmuProfile {
  /** `-device arm-smmuv3` is user-creatable (10.2+); else only `-machine virt,iommu=smmuv3`. */
  readonly pluggable: boolean;
  /** `stage` values the model recognises (8.1: `2`; 9.1+: `2`, `nested`); empty: no `stage` property. */
  readonly stages: readonly ('2' | 'nested')[];
  /** IDR0.VMID16 is set (8.1+). */
  readonly vmid16: boolean;
  /** IDR3.XNX is set whenever stage 2 is (8.2+). */
  readonly xnxWithS2: boolean;
  /** virt machine types from this version on make the machine SMMU `stage=nested` (9.2+); null: never. */
  readonly virtNestedFrom: readonly [number, number] | null;
  /** `smmu_per_bus` exists; `virt` sets it on `-device arm-smmuv3` (10.2+). */
  readonly smmuPerBus: boolean;
  /** `accel`, `ril`, `ats`, `oas`, `ssidsize`, `msi-gpa` and `smmu_validate_property` (master). */
  readonly accel: boolean;
  /** The primary bus must be pcie.0 or a pxb-pcie root bus (master). */
  readonly rootComplexCheck: boolean;
}

const P7_2: SmmuProfile = {
  pluggable: false,
  stages: [],
  vmid16: false,
  xnxWithS2: false,
  virtNestedFrom: null,
  smmuPerBus: false,
  accel: false,
  rootComplexCheck: false,
};

const P10_0: SmmuProfile = {
  ...P7_2,
  stages: ['2', 'nested'],
  vmid16: true,
  xnxWithS2: true,
  virtNestedFrom: [9, 2],
};

const P10_2: SmmuProfile = { ...P10_0, pluggable: true, smmuPerBus: true };

const UPSTREAM: SmmuProfile = { ...P10_2, accel: true, rootComplexCheck: true };

export const SMMU_PROFILES: Readonly<Record<ProfileId, SmmuProfile>> = {
  '7.2': P7_2,
  '10.0': P10_0,
  '10.2': P10_2,
  upstream: UPSTREAM,
};
