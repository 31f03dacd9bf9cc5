import { deposit, field } from '@viommu/core';

/**
 * SMMUv3 ID register layout (Arm IHI0070 §6.3; QEMU `include/hw/arm/smmuv3-common.h`
 * `REG32`/`FIELD`, Linux `arm-smmu-v3.h` `IDR*_*`). Shared by the host driver model and the
 * vSMMU, which both read and write these 32-bit registers as bigint.
 */

/** A field: `[lo, width]`. */
export type RegField = readonly [lo: number, width: number];

/** The register names viommu uses, in MMIO order (offsets 0x00..0x1c). */
export const SMMU_ID_REGISTERS = ['idr0', 'idr1', 'idr2', 'idr3', 'idr4', 'idr5', 'iidr', 'aidr'] as const;
export type SmmuIdRegister = (typeof SMMU_ID_REGISTERS)[number];
export type SmmuIdRegs = Readonly<Record<SmmuIdRegister, bigint>>;

/** MMIO offset of each ID register. */
export const SMMU_ID_REGISTER_OFFSET: Readonly<Record<SmmuIdRegister, number>> = {
  idr0: 0x0, idr1: 0x4, idr2: 0x8, idr3: 0xc, idr4: 0x10, idr5: 0x14, iidr: 0x18, aidr: 0x1c,
};

export const IDR0 = {
  S2P: [0, 1], S1P: [1, 1], TTF: [2, 2], COHACC: [4, 1], BTM: [5, 1], HTTU: [6, 2], DORMHINT: [8, 1],
  HYP: [9, 1], ATS: [10, 1], NS1ATS: [11, 1], ASID16: [12, 1], MSI: [13, 1], SEV: [14, 1], ATOS: [15, 1],
  PRI: [16, 1], VMW: [17, 1], VMID16: [18, 1], CD2L: [19, 1], VATOS: [20, 1], TTENDIAN: [21, 2],
  ATSRECERR: [23, 1], STALL_MODEL: [24, 2], TERM_MODEL: [26, 1], STLEVEL: [27, 2], RME_IMPL: [30, 1],
} as const satisfies Record<string, RegField>;

export const IDR1 = {
  SIDSIZE: [0, 6], SSIDSIZE: [6, 5], PRIQS: [11, 5], EVENTQS: [16, 5], CMDQS: [21, 5], ATTR_PERMS_OVR: [26, 1],
  ATTR_TYPES_OVR: [27, 1], REL: [28, 1], QUEUES_PRESET: [29, 1], TABLES_PRESET: [30, 1], ECMDQ: [31, 1],
} as const satisfies Record<string, RegField>;

export const IDR2 = { BA_VATOS: [0, 10] } as const satisfies Record<string, RegField>;

export const IDR3 = {
  HAD: [2, 1], PBHA: [3, 1], XNX: [4, 1], PPS: [5, 1], MPAM: [7, 1], FWB: [8, 1], STT: [9, 1], RIL: [10, 1],
  BBML: [11, 2], E0PD: [13, 1], PTWNNC: [14, 1], DPT: [15, 1],
} as const satisfies Record<string, RegField>;

export const IDR4 = {} as const satisfies Record<string, RegField>;

export const IDR5 = {
  OAS: [0, 3], GRAN4K: [4, 1], GRAN16K: [5, 1], GRAN64K: [6, 1], VAX: [10, 2], STALL_MAX: [16, 16],
} as const satisfies Record<string, RegField>;

export const IIDR = { IMPLEMENTER: [0, 12], REVISION: [12, 4], VARIANT: [16, 4], PRODUCTID: [20, 12] } as const satisfies Record<
  string,
  RegField
>;

export const AIDR = { ARCHMINORREV: [0, 4], ARCHMAJORREV: [4, 4] } as const satisfies Record<string, RegField>;

/** Field tables by register. */
export const SMMU_ID_FIELDS: Readonly<Record<SmmuIdRegister, Readonly<Record<string, RegField>>>> = {
  idr0: IDR0, idr1: IDR1, idr2: IDR2, idr3: IDR3, idr4: IDR4, idr5: IDR5, iidr: IIDR, aidr: AIDR,
};

/** `FIELD_EX32(reg, F)` as a number (fields are ≤ 16 bits). */
export function get(reg: bigint, f: RegField): number {
  return Number(field(reg, f[0], f[1]));
}

/** `FIELD_DP32(reg, F, v)`. */
export function dep(reg: bigint, f: RegField, v: number | bigint): bigint {
  return deposit(reg, f[0], f[1], BigInt(v));
}

/** IDR0.TTENDIAN encodings. */
export const TTENDIAN = { MIXED: 0, LE: 2, BE: 3 } as const;
/** IDR0.TTF encodings. */
export const TTF = { AARCH32: 1, AARCH64: 2, AARCH32_64: 3 } as const;
/** IDR0.STALL_MODEL encodings. */
export const STALL_MODEL = { STALL: 0, TERM_ONLY: 1, FORCE: 2 } as const;
/** IDR0.ST_LVL encodings. */
export const ST_LVL = { LINEAR: 0, TWO_LEVEL: 1 } as const;

/** IDR5.OAS encoding → bits (`IDR5_OAS_*`); 7 (56 bits) is SMMUv3.3's and unknown to Linux. */
export const OAS_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52, 56];

/** Bits → IDR5.OAS encoding, or -1 when the width has none. */
export function oasEncoding(bits: number): number {
  return OAS_BITS.indexOf(bits);
}

/**
 * Every named field of every ID register, for people (`viommu regs`, reports). Values are
 * numbers: the widest field is 16 bits.
 */
export function decodeSmmuIdRegs(regs: SmmuIdRegs): Record<SmmuIdRegister, Record<string, number>> {
  const out = {} as Record<SmmuIdRegister, Record<string, number>>;
  for (const r of SMMU_ID_REGISTERS) {
    out[r] = Object.fromEntries(Object.entries(SMMU_ID_FIELDS[r]).map(([name, f]) => [name, get(regs[r], f)]));
  }
  return out;
}
