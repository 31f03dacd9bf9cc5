import { field, InputError } from '@viommu/core';

/**
 * VT-d Capability and Extended Capability registers, decoded with the Linux accessor names
 * (`drivers/iommu/intel/iommu.h`, "Decoding Capability Register" / "Extended Capability
 * Register"). Values are bigint in, names out; bit positions follow the VT-d spec §11.4.2/3.
 */

/** One named register field: bits `lo`..`lo+width-1`. */
export interface VtdField {
  /** Kernel accessor (`cap_sagaw`, `ecap_nest`). */
  readonly name: string;
  readonly lo: number;
  readonly width: number;
  readonly description: string;
}

const f = (name: string, lo: number, width: number, description: string): VtdField => ({ name, lo, width, description });

/** Every CAP_REG field the kernel names. */
export const VTD_CAP_FIELDS: readonly VtdField[] = [
  f('cap_ndoms', 0, 3, 'ND: number of domains = 1 << (4 + 2*ND)'),
  f('cap_afl', 3, 1, 'advanced fault logging'),
  f('cap_rwbf', 4, 1, 'required write-buffer flushing'),
  f('cap_plmr', 5, 1, 'protected low-memory region'),
  f('cap_phmr', 6, 1, 'protected high-memory region'),
  f('cap_caching_mode', 7, 1, 'CM: caching mode'),
  f('cap_sagaw', 8, 5, 'SAGAW: bit n = (30 + 9n)-bit, (n + 2)-level second-stage tables'),
  f('cap_mgaw', 16, 6, 'MGAW: maximum guest address width - 1'),
  f('cap_zlr', 22, 1, 'zero-length read'),
  f('cap_isoch', 23, 1, 'isochrony'),
  f('cap_fault_reg_offset', 24, 10, 'FRO: fault recording register offset / 16'),
  f('cap_super_page_val', 34, 4, 'SLLPS: second-stage large pages (bit 0: 2 MiB, bit 1: 1 GiB)'),
  f('cap_pgsel_inv', 39, 1, 'PSI: page-selective invalidation'),
  f('cap_num_fault_regs', 40, 8, 'NFR: number of fault recording registers - 1'),
  f('cap_max_amask_val', 48, 6, 'MAMV: maximum address mask value'),
  f('cap_write_drain', 54, 1, 'DWD: write draining'),
  f('cap_read_drain', 55, 1, 'DRD: read draining'),
  f('cap_fl1gp_support', 56, 1, 'FS1GP: first-stage 1 GiB pages'),
  f('cap_pi_support', 59, 1, 'PI: posted interrupts'),
  f('cap_fl5lp_support', 60, 1, 'FS5LP: first-stage 5-level paging'),
  f('cap_ecmds', 61, 1, 'ECMDS: enhanced command support'),
  f('cap_esirtps', 62, 1, 'ESIRTPS: enhanced set interrupt remap table pointer'),
  f('cap_esrtps', 63, 1, 'ESRTPS: enhanced set root table pointer'),
];

/** Every ECAP_REG field the kernel names. */
export const VTD_ECAP_FIELDS: readonly VtdField[] = [
  f('ecap_coherent', 0, 1, 'C: page-walk coherency'),
  f('ecap_qis', 1, 1, 'QI: queued invalidation'),
  f('ecap_dev_iotlb_support', 2, 1, 'DT: device-TLB'),
  f('ecap_ir_support', 3, 1, 'IR: interrupt remapping'),
  f('ecap_eim_support', 4, 1, 'EIM: extended interrupt mode'),
  f('ecap_pass_through', 6, 1, 'PT: pass-through'),
  f('ecap_sc_support', 7, 1, 'SC: snoop control'),
  f('ecap_iotlb_offset', 8, 10, 'IRO: IOTLB register offset / 16'),
  f('ecap_max_handle_mask', 20, 4, 'MHMV: maximum handle mask value'),
  f('ecap_mts', 25, 1, 'MTS: memory type support'),
  f('ecap_nest', 26, 1, 'NEST: nested translation'),
  f('ecap_dis', 27, 1, 'DIS: deferred invalidate'),
  f('ecap_broken_pasid', 28, 1, 'legacy PASID bit'),
  f('ecap_prs', 29, 1, 'PRS: page requests'),
  f('ecap_ers', 30, 1, 'ERS: execute requests'),
  f('ecap_srs', 31, 1, 'SRS: supervisor requests'),
  f('ecap_nwfs', 33, 1, 'NWFS: no write flag'),
  f('ecap_eafs', 34, 1, 'EAFS: extended accessed flag'),
  f('ecap_pss', 35, 5, 'PSS: PASID size - 1'),
  f('ecap_pasid', 40, 1, 'PASID support'),
  f('ecap_dit', 41, 1, 'DIT: device-TLB invalidation throttle'),
  f('ecap_pds', 42, 1, 'PDS: page-request drain'),
  f('ecap_smts', 43, 1, 'SMTS: scalable-mode translation'),
  f('ecap_vcs', 44, 1, 'VCS: virtual command support'),
  f('ecap_slads', 45, 1, 'SLADS: second-stage accessed/dirty'),
  f('ecap_slts', 46, 1, 'SLTS: second-stage translation'),
  f('ecap_flts', 47, 1, 'FLTS: first-stage translation'),
  f('ecap_smpwc', 48, 1, 'SMPWC: scalable-mode page-walk coherency'),
  f('ecap_rps', 49, 1, 'RPS: RID-PASID'),
  f('ecap_pms', 51, 1, 'PMS: performance monitoring'),
];

/** Field values by accessor name. */
export type VtdDecoded = Readonly<Record<string, bigint>>;

function decode(fields: readonly VtdField[], value: bigint): VtdDecoded {
  const out: Record<string, bigint> = {};
  for (const x of fields) out[x.name] = field(value, x.lo, x.width);
  return out;
}

/** Decodes CAP_REG into every kernel-named field. */
export function decodeCap(cap: bigint): VtdDecoded {
  return decode(VTD_CAP_FIELDS, cap);
}

/** Decodes ECAP_REG into every kernel-named field. */
export function decodeEcap(ecap: bigint): VtdDecoded {
  return decode(VTD_ECAP_FIELDS, ecap);
}

/** Names of the one-bit fields set (feature flags), for people: `['cap_caching_mode', …]`. */
export function setFlags(fields: readonly VtdField[], value: bigint): string[] {
  return fields.filter((x) => x.width === 1 && field(value, x.lo, 1) === 1n).map((x) => x.name);
}

/**
 * Checks a register value read from input: a non-negative 64-bit integer.
 * @throws InputError naming the register and unit.
 */
export function checkVtdRegister(name: string, value: bigint | undefined, where: string): bigint {
  if (typeof value !== 'bigint') throw new InputError(`missing VT-d register '${name}'`, where);
  if (value < 0n || value >> 64n !== 0n) throw new InputError(`${name} 0x${value.toString(16)} does not fit the 64-bit VT-d register`, where);
  return value;
}

/** Register names of a VT-d unit (`HostIommuUnit.registers`). */
export const VTD_UNIT_REGISTERS = ['cap', 'ecap'] as const;
