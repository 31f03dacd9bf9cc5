import { GENMASK, KernelError, type IommuHwptArmSmmuv3 } from '@viommu/core';

/** STE word 0/1 fields a guest may set in a nested vSTE (Linux `arm-smmu-v3.h`). */
export const STRTAB_STE_0_V = 1n << 0n;
export const STRTAB_STE_0_CFG = GENMASK(3, 1);
export const STRTAB_STE_0_S1FMT = GENMASK(5, 4);
export const STRTAB_STE_0_S1CTXPTR_MASK = GENMASK(51, 6);
export const STRTAB_STE_0_S1CDMAX = GENMASK(63, 59);
export const STRTAB_STE_1_S1DSS = GENMASK(1, 0);
export const STRTAB_STE_1_S1CIR = GENMASK(3, 2);
export const STRTAB_STE_1_S1COR = GENMASK(5, 4);
export const STRTAB_STE_1_S1CSH = GENMASK(7, 6);
export const STRTAB_STE_1_S1STALLD = 1n << 27n;
export const STRTAB_STE_1_EATS = GENMASK(29, 28);

/** `STRTAB_STE_0_CFG_*`. */
export const STE_CFG = { ABORT: 0, BYPASS: 4, S1_TRANS: 5, S2_TRANS: 6, NESTED: 7 } as const;
/** `STRTAB_STE_1_EATS_*`. */
export const STE_EATS = { ABT: 0, TRANS: 1, S1CHK: 2 } as const;

/** `STRTAB_STE_0_NESTING_ALLOWED`. */
export const STRTAB_STE_0_NESTING_ALLOWED =
  STRTAB_STE_0_V | STRTAB_STE_0_CFG | STRTAB_STE_0_S1FMT | STRTAB_STE_0_S1CTXPTR_MASK | STRTAB_STE_0_S1CDMAX;
/** `STRTAB_STE_1_NESTING_ALLOWED`. */
export const STRTAB_STE_1_NESTING_ALLOWED =
  STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR | STRTAB_STE_1_S1COR | STRTAB_STE_1_S1CSH | STRTAB_STE_1_S1STALLD | STRTAB_STE_1_EATS;

/** A validated vSTE as the nested domain keeps it. */
export interface ValidatedVste {
  readonly ste: readonly [bigint, bigint];
  /** STE.Config after validation (an invalid vSTE is zeroed: abort). */
  readonly cfg: number;
  readonly enableAts: boolean;
}

/**
 * `arm_smmu_validate_vste` (`arm-smmu-v3-iommufd.c`): a non-valid vSTE is zeroed (it installs as
 * abort so C_BAD_STE can reach the guest); bits outside the nesting masks, a Config other than
 * abort/bypass/S1-translate, or EATS other than abort/full-ATS → `EIO`.
 */
export function armSmmuValidateVste(arg: IommuHwptArmSmmuv3): ValidatedVste {
  const [w0, w1] = arg.ste;
  const fail = (why: string) => new KernelError('EIO', 'IOMMU_HWPT_ALLOC', `arm_smmu_validate_vste: ${why}`);
  if ((w0 & STRTAB_STE_0_V) === 0n) return { ste: [0n, 0n], cfg: STE_CFG.ABORT, enableAts: false };
  if (w0 & ~STRTAB_STE_0_NESTING_ALLOWED) throw fail(`ste[0] bits 0x${(w0 & ~STRTAB_STE_0_NESTING_ALLOWED).toString(16)} not allowed`);
  if (w1 & ~STRTAB_STE_1_NESTING_ALLOWED) throw fail(`ste[1] bits 0x${(w1 & ~STRTAB_STE_1_NESTING_ALLOWED).toString(16)} not allowed`);
  const cfg = Number((w0 & STRTAB_STE_0_CFG) >> 1n);
  if (cfg !== STE_CFG.ABORT && cfg !== STE_CFG.BYPASS && cfg !== STE_CFG.S1_TRANS) throw fail(`Config ${cfg} not allowed`);
  const eats = Number((w1 & STRTAB_STE_1_EATS) >> 28n);
  if (eats !== STE_EATS.ABT && eats !== STE_EATS.TRANS) throw fail(`EATS ${eats} not allowed`);
  return { ste: [w0, w1 & ~STRTAB_STE_1_EATS], cfg, enableAts: cfg === STE_CFG.S1_TRANS && eats === STE_EATS.TRANS };
}
