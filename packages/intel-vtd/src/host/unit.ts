import { field, testBit, type HostIommuUnit } from '@viommu/core';
import { checkVtdRegister } from '../regs.js';

/** `intel_iommu=` switches that change what the driver offers (`intel_iommu_setup`). */
export interface IntelIommuCmdline {
  /** `sm_on` / `sm_off`; default: `CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON` (default y). */
  readonly sm: boolean;
  /** `sp_off`: no superpages. */
  readonly spOff: boolean;
}

/** Parses the `intel_iommu=` options of a kernel command line (last occurrence of each switch wins). */
export function parseIntelIommuCmdline(cmdline: string): IntelIommuCmdline {
  let sm = true;
  let spOff = false;
  for (const word of cmdline.split(/\s+/)) {
    if (!word.startsWith('intel_iommu=')) continue;
    for (const opt of word.slice('intel_iommu='.length).split(',')) {
      if (opt === 'sm_on') sm = true;
      else if (opt === 'sm_off') sm = false;
      else if (opt === 'sp_off') spOff = true;
    }
  }
  return { sm, spOff };
}

/** `DEFAULT_DOMAIN_ADDRESS_WIDTH`: the widest AGAW the driver looks for. */
export const DEFAULT_DOMAIN_ADDRESS_WIDTH = 57;

/** `agaw_to_width`. */
export function agawToWidth(agaw: number): number {
  return Math.min(30 + agaw * 9, 64);
}

/**
 * The capability predicates of one DMAR unit (`struct intel_iommu` after `alloc_iommu` and the
 * `iommu.h` helpers `sm_supported`, `pasid_supported`, `ssads_supported`, `nested_supported`).
 */
export class VtdUnitCaps {
  readonly cap: bigint;
  readonly ecap: bigint;
  /**
   * `iommu->agaw` from `iommu_calculate_agaw`: the highest bit ≤ width_to_agaw(57) of
   * `__iommu_calculate_sagaw` (second-stage SAGAW, first-stage 4/5-level, or both); -1 when none.
   */
  readonly agaw: number;

  constructor(
    unit: HostIommuUnit,
    readonly cmdline: IntelIommuCmdline,
  ) {
    const where = `VT-d unit ${unit.name}`;
    this.cap = checkVtdRegister('cap', unit.registers.cap, where);
    this.ecap = checkVtdRegister('ecap', unit.registers.ecap, where);
    const slSagaw = Number(field(this.cap, 8, 5));
    const flSagaw = 0b100 | (this.fs5lp ? 0b1000 : 0);
    const sagaw = !this.firstStage ? slSagaw : !this.ecapBit(46) ? flSagaw : flSagaw & slSagaw;
    let agaw = (DEFAULT_DOMAIN_ADDRESS_WIDTH - 30) / 9;
    while (agaw >= 0 && !((sagaw >> agaw) & 1)) agaw--;
    this.agaw = agaw;
  }

  ecapBit(n: number): boolean {
    return testBit(this.ecap, n);
  }
  capBit(n: number): boolean {
    return testBit(this.cap, n);
  }

  /** `cap_mgaw`. */
  get mgaw(): number {
    return Number(field(this.cap, 16, 6)) + 1;
  }
  /** `sm_supported`: scalable mode on the command line and `ecap_smts`. */
  get sm(): boolean {
    return this.cmdline.sm && this.ecapBit(43);
  }
  /** `pasid_supported`. */
  get pasid(): boolean {
    return this.sm && this.ecapBit(40);
  }
  /** `ssads_supported`: SLADS and SMPWC in scalable mode (SMPWC term: 6.18, backported to stable). */
  get ssads(): boolean {
    return this.sm && this.ecapBit(45) && this.ecapBit(48);
  }
  /** `nested_supported`. */
  get nested(): boolean {
    return this.sm && this.ecapBit(26);
  }
  /** First-stage tables available (`sm_supported && ecap_flts`). */
  get firstStage(): boolean {
    return this.sm && this.ecapBit(47);
  }
  /** Second-stage tables available: legacy mode always, scalable mode with `ecap_slts`. */
  get secondStage(): boolean {
    return !this.sm || this.ecapBit(46);
  }
  /** `ecap_ir_support`: interrupt remapping (ECAP.IR, bit 3). */
  get irSupport(): boolean {
    return this.ecapBit(3);
  }
  /** `ecap_sc_support`. */
  get snoopControl(): boolean {
    return this.ecapBit(7);
  }
  /** `cap_fl1gp_support`. */
  get fs1gp(): boolean {
    return this.capBit(56);
  }
  /** `cap_fl5lp_support`. */
  get fs5lp(): boolean {
    return this.capBit(60);
  }
  /** `ecap_pss`. */
  get pss(): number {
    return Number(field(this.ecap, 35, 5));
  }

  /** Domain address width (`paging_domain_alloc`): min(agaw width, MGAW). */
  get gaw(): number {
    return Math.min(agawToWidth(this.agaw), this.mgaw);
  }

  /** `iommu_superpage_capability`: levels of large pages (0: 4K only, 1: +2M, 2: +1G). */
  superpage(stage: 'first' | 'second'): number {
    if (this.cmdline.spOff) return 0;
    if (stage === 'first') return this.fs1gp ? 2 : 1;
    const val = Number(field(this.cap, 34, 4));
    return val === 0 ? 0 : Math.floor(Math.log2(val)) + 1;
  }
}
