import type { PropertyValues } from '@viommu/core';
import { dep, IDR0, IDR1, IDR3, IDR5, oasEncoding, ST_LVL, STALL_MODEL, TTENDIAN, TTF, type SmmuIdRegs } from '../regs.js';
import type { SmmuProfile } from './profiles.js';

/** Which translation stages the vSMMU implements. */
export type SmmuStage = 'stage1' | 'stage2' | 'nested';

/** QEMU's fixed values (`SMMU_IDR1_SIDSIZE`, `SMMU_CMDQS`, `SMMU_EVENTQS`, `SMMU_IDR5_OAS`). */
export const SMMU_IDR1_SIDSIZE = 16;
export const SMMU_CMDQS = 19;
export const SMMU_EVENTQS = 19;
export const SMMU_IDR5_OAS_44 = 4;
export const SMMU_IDR5_OAS_48 = 5;
/** AIDR: SMMUv3.1. */
export const SMMU_AIDR = 0x1n;

/**
 * `smmuv3_parse_stage` (8.1+): exactly `"2"` → stage 2, exactly `"nested"` (9.1+) → both,
 * anything else — typos included — stage 1.
 */
export function smmuStage(profile: SmmuProfile, stage: string): SmmuStage {
  if (stage === '2' && profile.stages.includes('2')) return 'stage2';
  if (stage === 'nested' && profile.stages.includes('nested')) return 'nested';
  return 'stage1';
}

/**
 * `smmuv3_init_regs` (7.2 … 10.2, at reset) / `smmuv3_init_id_regs` (master, at realize) and,
 * with `accel=on`, `smmuv3_accel_idr_override`: the guest-visible ID registers.
 */
export function smmuIdRegs(profile: SmmuProfile, stage: SmmuStage, props: PropertyValues): SmmuIdRegs {
  const s1 = stage !== 'stage2';
  const s2 = stage !== 'stage1';
  let idr0 = 0n;
  idr0 = dep(idr0, IDR0.S1P, s1 ? 1 : 0);
  idr0 = dep(idr0, IDR0.S2P, s2 ? 1 : 0);
  idr0 = dep(idr0, IDR0.TTF, TTF.AARCH64);
  idr0 = dep(idr0, IDR0.COHACC, 1);
  idr0 = dep(idr0, IDR0.ASID16, 1);
  if (profile.vmid16) idr0 = dep(idr0, IDR0.VMID16, 1);
  idr0 = dep(idr0, IDR0.TTENDIAN, TTENDIAN.LE);
  idr0 = dep(idr0, IDR0.STALL_MODEL, STALL_MODEL.TERM_ONLY);
  idr0 = dep(idr0, IDR0.TERM_MODEL, 1);
  idr0 = dep(idr0, IDR0.STLEVEL, ST_LVL.TWO_LEVEL);

  let idr1 = 0n;
  idr1 = dep(idr1, IDR1.SIDSIZE, SMMU_IDR1_SIDSIZE);
  idr1 = dep(idr1, IDR1.EVENTQS, SMMU_EVENTQS);
  idr1 = dep(idr1, IDR1.CMDQS, SMMU_CMDQS);

  let idr3 = 0n;
  idr3 = dep(idr3, IDR3.HAD, 1);
  if (s2 && profile.xnxWithS2) idr3 = dep(idr3, IDR3.XNX, 1);
  idr3 = dep(idr3, IDR3.RIL, 1);
  idr3 = dep(idr3, IDR3.BBML, 2);

  let idr5 = 0n;
  idr5 = dep(idr5, IDR5.OAS, SMMU_IDR5_OAS_44);
  idr5 = dep(idr5, IDR5.GRAN4K, 1);
  idr5 = dep(idr5, IDR5.GRAN16K, 1);
  idr5 = dep(idr5, IDR5.GRAN64K, 1);

  if (profile.accel && props.accel === true) {
    // smmuv3_accel_idr_override
    idr3 = dep(idr3, IDR3.RIL, props.ril === true ? 1 : 0);
    idr0 = dep(idr0, IDR0.ATS, props.ats === true ? 1 : 0);
    if (props.oas === 48) idr5 = dep(idr5, IDR5.OAS, oasEncoding(48));
    idr1 = dep(idr1, IDR1.SSIDSIZE, Number(props.ssidsize));
  }
  return { idr0, idr1, idr2: 0n, idr3, idr4: 0n, idr5, iidr: 0n, aidr: SMMU_AIDR };
}
