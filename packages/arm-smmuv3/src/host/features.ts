import { KernelError } from '@viommu/core';
import { dep, get, IDR0, IDR1, IDR3, IDR5, IIDR, OAS_BITS, oasEncoding, ST_LVL, STALL_MODEL, TTENDIAN, TTF, type SmmuIdRegs } from '../regs.js';

/** `ARM_SMMU_FEAT_*` (Linux `arm-smmu-v3.h`): the `features` word the probe line prints. */
export const ARM_SMMU_FEAT = {
  '2_LVL_STRTAB': 1 << 0,
  '2_LVL_CDTAB': 1 << 1,
  TT_LE: 1 << 2,
  TT_BE: 1 << 3,
  PRI: 1 << 4,
  ATS: 1 << 5,
  SEV: 1 << 6,
  MSI: 1 << 7,
  COHERENCY: 1 << 8,
  TRANS_S1: 1 << 9,
  TRANS_S2: 1 << 10,
  STALLS: 1 << 11,
  HYP: 1 << 12,
  STALL_FORCE: 1 << 13,
  VAX: 1 << 14,
  RANGE_INV: 1 << 15,
  BTM: 1 << 16,
  SVA: 1 << 17,
  E2H: 1 << 18,
  NESTING: 1 << 19,
  ATTR_TYPES_OVR: 1 << 20,
  HA: 1 << 21,
  HD: 1 << 22,
  S2FWB: 1 << 23,
  BBML2: 1 << 24,
} as const;

/** `ARM_SMMU_OPT_*`: the `option mask` line. */
export const ARM_SMMU_OPT = {
  SKIP_PREFETCH: 1 << 0,
  PAGE0_REGS_ONLY: 1 << 1,
  MSIPOLL: 1 << 2,
  CMDQ_FORCE_SYNC: 1 << 3,
  TEGRA241_CMDQV: 1 << 4,
} as const;

/**
 * Feature bits that depend on the host CPU or the kernel build rather than on the SMMU's ID
 * registers (`SVA`: CPU/ASID checks in `arm_smmu_sva_supported`; `E2H`: VHE CPU; `NESTING`: set
 * only by kernels ≥ 6.5 and cleared by IIDR errata).
 */
export const FEAT_NOT_FROM_IDRS = ARM_SMMU_FEAT.SVA | ARM_SMMU_FEAT.E2H | ARM_SMMU_FEAT.NESTING;

/** What `arm_smmu_device_hw_probe` derives from the ID registers. */
export interface SmmuProbe {
  readonly features: number;
  readonly options: number;
  readonly ias: number;
  readonly oas: number;
  readonly pgsizeBitmap: bigint;
  readonly sidBits: number;
  readonly ssidBits: number;
  readonly asidBits: number;
  readonly vmidBits: number;
}

/** Firmware facts the probe takes besides the registers (IORT / DT). */
export interface SmmuFirmware {
  /** IORT COHACC override / DT `dma-coherent`; default: IDR0.COHACC. */
  readonly coherent?: boolean;
  /** `option mask` (ACPI model quirks). */
  readonly options?: number;
  /** The CPU has VHE (`ARM64_HAS_VIRT_HOST_EXTN`): HYP → E2H. */
  readonly vhe?: boolean;
}

const SZ = (bits: number) => 1n << BigInt(bits);
/** `CMDQ_BATCH_ENTRIES` = `BITS_PER_LONG`. */
const CMDQ_BATCH_ENTRIES = 64;
/** `STRTAB_SPLIT`. */
const STRTAB_SPLIT = 8;

function noDev(msg: string): KernelError {
  return new KernelError('ENODEV', 'arm_smmu_device_hw_probe', msg);
}

/**
 * `arm_smmu_device_hw_probe` + `arm_smmu_device_iidr_probe` (Linux ≥ 6.14): the driver's view of
 * one SMMU. Throws `KernelError('ENODEV')` with the kernel's `dev_err` text where the driver
 * would not bind.
 */
export function armSmmuHwProbe(regs: SmmuIdRegs, fw: SmmuFirmware = {}): SmmuProbe {
  const F = ARM_SMMU_FEAT;
  const coherent = fw.coherent ?? get(regs.idr0, IDR0.COHACC) === 1;
  let features = coherent ? F.COHERENCY : 0;
  let options = fw.options ?? 0;
  let ias = 0;
  const idr0 = regs.idr0;
  if (get(idr0, IDR0.STLEVEL) === ST_LVL.TWO_LEVEL) features |= F['2_LVL_STRTAB'];
  if (get(idr0, IDR0.CD2L)) features |= F['2_LVL_CDTAB'];
  switch (get(idr0, IDR0.TTENDIAN)) {
    case TTENDIAN.MIXED:
      features |= F.TT_LE | F.TT_BE;
      break;
    case TTENDIAN.LE:
      features |= F.TT_LE;
      break;
    default:
      throw noDev('unknown/unsupported TT endianness!');
  }
  if (get(idr0, IDR0.PRI)) features |= F.PRI;
  if (get(idr0, IDR0.ATS)) features |= F.ATS;
  if (get(idr0, IDR0.SEV)) features |= F.SEV;
  if (get(idr0, IDR0.MSI)) {
    features |= F.MSI;
    if (coherent) options |= ARM_SMMU_OPT.MSIPOLL;
  }
  if (get(idr0, IDR0.HYP)) {
    features |= F.HYP;
    if (fw.vhe ?? true) features |= F.E2H;
  }
  const httu = get(idr0, IDR0.HTTU);
  if (httu === 2) features |= F.HA | F.HD;
  else if (httu === 1) features |= F.HA;
  switch (get(idr0, IDR0.STALL_MODEL)) {
    case STALL_MODEL.FORCE:
      features |= F.STALL_FORCE | F.STALLS;
      break;
    case STALL_MODEL.STALL:
      features |= F.STALLS;
  }
  if (get(idr0, IDR0.S1P)) features |= F.TRANS_S1;
  if (get(idr0, IDR0.S2P)) features |= F.TRANS_S2;
  if (!get(idr0, IDR0.S1P) && !get(idr0, IDR0.S2P)) throw noDev('no translation support!');
  switch (get(idr0, IDR0.TTF)) {
    case TTF.AARCH32_64:
      ias = 40;
      break;
    case TTF.AARCH64:
      break;
    default:
      throw noDev('AArch64 table format not supported!');
  }
  if (get(idr0, IDR0.BTM)) features |= F.BTM;
  const asidBits = get(idr0, IDR0.ASID16) ? 16 : 8;
  const vmidBits = get(idr0, IDR0.VMID16) ? 16 : 8;

  const idr1 = regs.idr1;
  if (get(idr1, IDR1.TABLES_PRESET) || get(idr1, IDR1.QUEUES_PRESET) || get(idr1, IDR1.REL)) {
    throw noDev('embedded implementation not supported');
  }
  if (get(idr1, IDR1.ATTR_TYPES_OVR)) features |= F.ATTR_TYPES_OVR;
  if (get(idr1, IDR1.CMDQS) <= Math.log2(CMDQ_BATCH_ENTRIES)) {
    throw noDev(`command queue size <= ${CMDQ_BATCH_ENTRIES} entries not supported`);
  }
  const ssidBits = get(idr1, IDR1.SSIDSIZE);
  const sidBits = get(idr1, IDR1.SIDSIZE);
  if (sidBits <= STRTAB_SPLIT) features &= ~F['2_LVL_STRTAB'];

  const idr3 = regs.idr3;
  if (get(idr3, IDR3.RIL)) features |= F.RANGE_INV;
  if (get(idr3, IDR3.FWB) && coherent) features |= F.S2FWB;
  if (get(idr3, IDR3.BBML) === 2) features |= F.BBML2;

  const idr5 = regs.idr5;
  let pgsizeBitmap = 0n;
  if (get(idr5, IDR5.GRAN64K)) pgsizeBitmap |= SZ(16) | SZ(29);
  if (get(idr5, IDR5.GRAN16K)) pgsizeBitmap |= SZ(14) | SZ(25);
  if (get(idr5, IDR5.GRAN4K)) pgsizeBitmap |= SZ(12) | SZ(21) | SZ(30);
  if (get(idr5, IDR5.VAX) === 1) features |= F.VAX;
  const enc = get(idr5, IDR5.OAS);
  // Linux knows 32..52; anything else is "unknown output address size. Truncating to 48-bit".
  const oas = enc <= 6 ? OAS_BITS[enc]! : 48;
  if (oas === 52) pgsizeBitmap |= SZ(42);
  ias = Math.max(ias, oas);

  if (features & F.TRANS_S1 && features & F.TRANS_S2) features |= F.NESTING;
  if (iidrErratumNoNesting(regs.iidr)) features &= ~F.NESTING;
  return { features, options, ias, oas, pgsizeBitmap, sidBits, ssidBits, asidBits, vmidBits };
}

/** Arm Ltd. JEP106 code in IIDR.IMPLEMENTER. */
const IIDR_IMPLEMENTER_ARM = 0x43b;
const IIDR_PRODUCTID_ARM_MMU_600 = 0x483;
const IIDR_PRODUCTID_ARM_MMU_700 = 0x487;

/**
 * `arm_smmu_device_iidr_probe`: MMU-600 before r2 (erratum 1076982) and MMU-700 r0p0/r1p0
 * (erratum 2268618 … ) lose `FEAT_NESTING` (and BTM/SEV, which nothing here uses).
 */
function iidrErratumNoNesting(iidr: bigint): boolean {
  if (get(iidr, IIDR.IMPLEMENTER) !== IIDR_IMPLEMENTER_ARM) return false;
  const product = get(iidr, IIDR.PRODUCTID);
  const variant = get(iidr, IIDR.VARIANT);
  if (product === IIDR_PRODUCTID_ARM_MMU_600) return variant < 2;
  if (product === IIDR_PRODUCTID_ARM_MMU_700) return variant <= 1 && get(iidr, IIDR.REVISION) === 0;
  return false;
}

/** ID registers rebuilt from a probe line, with what had to be assumed. */
export interface DerivedIdRegs {
  readonly registers: SmmuIdRegs;
  /** One sentence per register field that the features word does not carry. */
  readonly assumed: readonly string[];
}

/**
 * Rebuilds IDR0..IDR5 from what `arm-smmu-v3 …: ias N-bit, oas N-bit (features 0x…)` printed —
 * the inverse of `armSmmuHwProbe` for every field the features word carries. Fields it does not
 * carry get the value of a typical server SMMU (MMU-600/700 class) and are listed in `assumed`:
 * ASID16/VMID16, SIDSIZE 16, SSIDSIZE 20 when CD2L else 0, queue sizes 19, all three
 * granules, IIDR/AIDR 0. TTF is AArch32+64 when ias > oas (Linux sets ias 40 only then),
 * else AArch64 (assumed: an AArch32+64 SMMU with oas ≥ 40 prints the same line).
 * @throws RangeError when `oas` has no IDR5.OAS encoding.
 */
export function idRegsFromFeatures(features: number, ias: number | null, oas: number): DerivedIdRegs {
  const F = ARM_SMMU_FEAT;
  const has = (bit: number) => (features & bit) !== 0;
  const assumed: string[] = [];
  const enc = oasEncoding(oas);
  if (enc < 0 || enc > 6) throw new RangeError(`oas ${oas}-bit has no IDR5.OAS encoding Linux prints`);

  let idr0 = 0n;
  idr0 = dep(idr0, IDR0.STLEVEL, has(F['2_LVL_STRTAB']) ? ST_LVL.TWO_LEVEL : ST_LVL.LINEAR);
  idr0 = dep(idr0, IDR0.CD2L, has(F['2_LVL_CDTAB']) ? 1 : 0);
  const le = has(F.TT_LE);
  const be = has(F.TT_BE);
  idr0 = dep(idr0, IDR0.TTENDIAN, le && be ? TTENDIAN.MIXED : be ? TTENDIAN.BE : TTENDIAN.LE);
  idr0 = dep(idr0, IDR0.PRI, has(F.PRI) ? 1 : 0);
  idr0 = dep(idr0, IDR0.ATS, has(F.ATS) ? 1 : 0);
  idr0 = dep(idr0, IDR0.SEV, has(F.SEV) ? 1 : 0);
  idr0 = dep(idr0, IDR0.MSI, has(F.MSI) ? 1 : 0);
  idr0 = dep(idr0, IDR0.HYP, has(F.HYP) ? 1 : 0);
  idr0 = dep(idr0, IDR0.COHACC, has(F.COHERENCY) ? 1 : 0);
  idr0 = dep(idr0, IDR0.BTM, has(F.BTM) ? 1 : 0);
  idr0 = dep(idr0, IDR0.HTTU, has(F.HD) ? 2 : has(F.HA) ? 1 : 0);
  idr0 = dep(idr0, IDR0.STALL_MODEL, has(F.STALL_FORCE) ? STALL_MODEL.FORCE : has(F.STALLS) ? STALL_MODEL.STALL : STALL_MODEL.TERM_ONLY);
  idr0 = dep(idr0, IDR0.S1P, has(F.TRANS_S1) ? 1 : 0);
  idr0 = dep(idr0, IDR0.S2P, has(F.TRANS_S2) ? 1 : 0);
  const aarch32 = ias !== null && ias > oas;
  idr0 = dep(idr0, IDR0.TTF, aarch32 ? TTF.AARCH32_64 : TTF.AARCH64);
  if (!aarch32) assumed.push('IDR0.TTF = AArch64 only (ias = oas in the probe line)');
  idr0 = dep(idr0, IDR0.ASID16, 1);
  idr0 = dep(idr0, IDR0.VMID16, 1);
  assumed.push('IDR0.ASID16 = IDR0.VMID16 = 1 (16-bit ASIDs and VMIDs)');
  idr0 = dep(idr0, IDR0.TERM_MODEL, 0);

  let idr1 = 0n;
  idr1 = dep(idr1, IDR1.SIDSIZE, 16);
  const ssid = has(F['2_LVL_CDTAB']) ? 20 : 0;
  idr1 = dep(idr1, IDR1.SSIDSIZE, ssid);
  idr1 = dep(idr1, IDR1.CMDQS, 19);
  idr1 = dep(idr1, IDR1.EVENTQS, 19);
  idr1 = dep(idr1, IDR1.PRIQS, has(F.PRI) ? 19 : 0);
  idr1 = dep(idr1, IDR1.ATTR_TYPES_OVR, has(F.ATTR_TYPES_OVR) ? 1 : 0);
  assumed.push(`IDR1.SIDSIZE = 16, IDR1.SSIDSIZE = ${ssid} (${ssid ? 'CD2L implies substreams' : 'no CD2L'}), CMDQS = EVENTQS = 19`);

  let idr3 = 0n;
  idr3 = dep(idr3, IDR3.RIL, has(F.RANGE_INV) ? 1 : 0);
  idr3 = dep(idr3, IDR3.FWB, has(F.S2FWB) ? 1 : 0);
  idr3 = dep(idr3, IDR3.BBML, has(F.BBML2) ? 2 : 0);

  let idr5 = 0n;
  idr5 = dep(idr5, IDR5.OAS, enc);
  idr5 = dep(idr5, IDR5.GRAN4K, 1);
  idr5 = dep(idr5, IDR5.GRAN16K, 1);
  idr5 = dep(idr5, IDR5.GRAN64K, 1);
  idr5 = dep(idr5, IDR5.VAX, has(F.VAX) ? 1 : 0);
  assumed.push('IDR5.GRAN4K = GRAN16K = GRAN64K = 1 (the probe line does not print page sizes)');
  assumed.push('IIDR = 0 and AIDR = 0 (SMMUv3.0; implementation not printed)');

  return { registers: { idr0, idr1, idr2: 0n, idr3, idr4: 0n, idr5, iidr: 0n, aidr: 0n }, assumed };
}
