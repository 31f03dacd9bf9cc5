import { field, memoizePure, testBit, type HostIommuUnit, type IovaRange } from '@viommu/core';
import { checkVtdRegister } from '../regs.js';

/** `intel_iommu=` switches that change what the driver offers (`intel_iommu_setup`). */
export interface IntelIommuCmdline {
  /** `sm_on` / `sm_off`; default: `CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON` (default y). */
  readonly sm: boolean;
  /** `sp_off`: no superpages. */
  readonly spOff: boolean;
}

/** Parses the `intel_iommu=` options of a kernel command line (last occurrence of each switch wins); frozen, once per command line. */
export const parseIntelIommuCmdline: (cmdline: string) => IntelIommuCmdline = memoizePure((cmdline: string): IntelIommuCmdline => {
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
});

/** `DEFAULT_DOMAIN_ADDRESS_WIDTH`: the widest AGAW the driver looks for. */
export const DEFAULT_DOMAIN_ADDRESS_WIDTH = 57;

/** `agaw_to_width`. */
export function agawToWidth(agaw: number): number {
  return Math.min(30 + agaw * 9, 64);
}

/**
 * The capability predicates of one DMAR unit (`struct intel_iommu` after `alloc_iommu` and the
 * `iommu.h` helpers `sm_supported`, `pasid_supported`, `ssads_supported`, `nested_supported`),
 * decoded once from CAP, ECAP and the command line: every field is a pure function of the
 * three (`vtdUnitCaps` shares one frozen decode per register pair).
 */
export class VtdUnitCaps {
  readonly cap: bigint;
  readonly ecap: bigint;
  /**
   * `iommu->agaw` from `iommu_calculate_agaw`: the highest bit ≤ width_to_agaw(57) of
   * `__iommu_calculate_sagaw` (second-stage SAGAW, first-stage 4/5-level, or both); -1 when none.
   */
  readonly agaw: number;
  /** `cap_mgaw`. */
  readonly mgaw: number;
  /** `sm_supported`: scalable mode on the command line and `ecap_smts`. */
  readonly sm: boolean;
  /** `pasid_supported`. */
  readonly pasid: boolean;
  /** `ssads_supported`: SLADS and SMPWC in scalable mode (SMPWC term: 6.18, backported to stable). */
  readonly ssads: boolean;
  /** `nested_supported`. */
  readonly nested: boolean;
  /** First-stage tables available (`sm_supported && ecap_flts`). */
  readonly firstStage: boolean;
  /** Second-stage tables available: legacy mode always, scalable mode with `ecap_slts`. */
  readonly secondStage: boolean;
  /** `ecap_ir_support`: interrupt remapping (ECAP.IR, bit 3). */
  readonly irSupport: boolean;
  /** `ecap_sc_support`. */
  readonly snoopControl: boolean;
  /** `cap_fl1gp_support`. */
  readonly fs1gp: boolean;
  /** `cap_fl5lp_support`. */
  readonly fs5lp: boolean;
  /** `ecap_pss`. */
  readonly pss: number;
  /** Domain address width (`paging_domain_alloc`): min(agaw width, MGAW). */
  readonly gaw: number;
  /**
   * Aperture of the domain allocated without flags (first stage when the unit has it): first-stage
   * domains lose the top bit to canonical addressing (aperture_end = 2^(gaw-1) - 1). Frozen.
   */
  readonly defaultAperture: IovaRange;
  /** `iommu_superpage_capability` of second-stage tables (0: 4K only, 1: +2M, 2: +1G). */
  readonly #secondStageSuperpage: number;

  constructor(
    unit: HostIommuUnit,
    readonly cmdline: IntelIommuCmdline,
  ) {
    const where = `VT-d unit ${unit.name}`;
    this.cap = checkVtdRegister('cap', unit.registers.cap, where);
    this.ecap = checkVtdRegister('ecap', unit.registers.ecap, where);
    this.mgaw = Number(field(this.cap, 16, 6)) + 1;
    this.sm = cmdline.sm && this.ecapBit(43);
    this.pasid = this.sm && this.ecapBit(40);
    this.ssads = this.sm && this.ecapBit(45) && this.ecapBit(48);
    this.nested = this.sm && this.ecapBit(26);
    this.firstStage = this.sm && this.ecapBit(47);
    this.secondStage = !this.sm || this.ecapBit(46);
    this.irSupport = this.ecapBit(3);
    this.snoopControl = this.ecapBit(7);
    this.fs1gp = this.capBit(56);
    this.fs5lp = this.capBit(60);
    this.pss = Number(field(this.ecap, 35, 5));
    const slSagaw = Number(field(this.cap, 8, 5));
    const flSagaw = 0b100 | (this.fs5lp ? 0b1000 : 0);
    const sagaw = !this.firstStage ? slSagaw : !this.ecapBit(46) ? flSagaw : flSagaw & slSagaw;
    let agaw = (DEFAULT_DOMAIN_ADDRESS_WIDTH - 30) / 9;
    while (agaw >= 0 && !((sagaw >> agaw) & 1)) agaw--;
    this.agaw = agaw;
    this.gaw = Math.min(agawToWidth(agaw), this.mgaw);
    const sllps = Number(field(this.cap, 34, 4));
    this.#secondStageSuperpage = sllps === 0 ? 0 : Math.floor(Math.log2(sllps)) + 1;
    const apertureBits = this.firstStage ? this.gaw - 1 : this.gaw;
    this.defaultAperture = Object.freeze({ start: 0n, last: (1n << BigInt(apertureBits)) - 1n });
  }

  ecapBit(n: number): boolean {
    return testBit(this.ecap, n);
  }
  capBit(n: number): boolean {
    return testBit(this.cap, n);
  }

  /** `iommu_superpage_capability`: levels of large pages (0: 4K only, 1: +2M, 2: +1G). */
  superpage(stage: 'first' | 'second'): number {
    if (this.cmdline.spOff) return 0;
    if (stage === 'first') return this.fs1gp ? 2 : 1;
    return this.#secondStageSuperpage;
  }
}

/** Decoded units by CAP, then ECAP, then the switches (`sm` bit 0, `sp_off` bit 1). */
const decoded = new Map<bigint, Map<bigint, VtdUnitCaps[]>>();
let decodedCount = 0;

/**
 * The decoded unit, frozen and shared by every unit with the same CAP, ECAP and `intel_iommu=`
 * switches (a pure function of the three; at 1024 decodes the cache starts over).
 * @throws InputError naming the unit when a register is missing or does not fit 64 bits.
 */
export function vtdUnitCaps(unit: HostIommuUnit, cmdline: IntelIommuCmdline): VtdUnitCaps {
  const { cap, ecap } = unit.registers;
  const slot = (cmdline.sm ? 1 : 0) | (cmdline.spOff ? 2 : 0);
  const hit = cap === undefined || ecap === undefined ? undefined : decoded.get(cap)?.get(ecap)?.[slot];
  if (hit) return hit;
  const caps = new VtdUnitCaps(unit, Object.freeze({ sm: cmdline.sm, spOff: cmdline.spOff }));
  Object.freeze(caps);
  if (++decodedCount > 1024) {
    decoded.clear();
    decodedCount = 1;
  }
  let byEcap = decoded.get(caps.cap);
  if (!byEcap) decoded.set(caps.cap, (byEcap = new Map()));
  let slots = byEcap.get(caps.ecap);
  if (!slots) byEcap.set(caps.ecap, (slots = []));
  slots[slot] = caps;
  return caps;
}
