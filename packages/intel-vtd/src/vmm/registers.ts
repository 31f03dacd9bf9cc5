import type { ProfileId } from '@viommu/core';
import type { VtdConfig } from './properties.js';
import { VTD_PROFILES } from './profiles.js';

/** Guest-visible register names in print order. */
export const VTD_REGISTERS = ['ver', 'cap', 'ecap'] as const;

/** MMIO base (`Q35_HOST_BRIDGE_IOMMU_ADDR`) and register offsets (`DMAR_*_REG`). */
export const Q35_HOST_BRIDGE_IOMMU_ADDR = 0xfed90000n;
export const DMAR_VER_REG = 0x0n;
export const DMAR_CAP_REG = 0x8n;
export const DMAR_ECAP_REG = 0x10n;

/** `hw/i386/intel_iommu_internal.h` constants (bigint: CAP/ECAP are 64-bit). */
export const VTD_CAP_ND = 6n; // ((VTD_DOMAIN_ID_SHIFT - 4) / 2) & 7
export const VTD_CAP_CM = 1n << 7n;
export const VTD_CAP_SAGAW_39bit = 0x2n << 8n;
export const VTD_CAP_SAGAW_48bit = 0x4n << 8n;
export const VTD_CAP_FRO = 0x220n << 20n;
export const VTD_CAP_SLLPS = (1n << 34n) | (1n << 35n);
export const VTD_CAP_PSI = 1n << 39n;
export const VTD_CAP_NFR = 0n; // (DMAR_FRCD_REG_NR - 1) << 40
export const VTD_CAP_MAMV = 18n << 48n;
export const VTD_CAP_DRAIN = (1n << 54n) | (1n << 55n);
export const VTD_CAP_FS1GP = 1n << 56n;
export const VTD_CAP_ESRTPS = 1n << 63n;
export const VTD_CAP_MGAW = (aw: number): bigint => (BigInt(aw - 1) & 0x3fn) << 16n;

export const VTD_ECAP_QI = 1n << 1n;
export const VTD_ECAP_DT = 1n << 2n;
export const VTD_ECAP_IR = 1n << 3n;
export const VTD_ECAP_EIM = 1n << 4n;
export const VTD_ECAP_PT = 1n << 6n;
export const VTD_ECAP_SC = 1n << 7n;
export const VTD_ECAP_IRO = 0xf0n << 4n;
export const VTD_ECAP_MHMV = 15n << 20n;
export const VTD_ECAP_PRS = 1n << 29n;
export const VTD_ECAP_SRS = 1n << 31n;
export const VTD_ECAP_NWFS = 1n << 33n;
export const VTD_ECAP_PSS_SHIFT = 35n;
export const VTD_ECAP_PASID = 1n << 40n;
export const VTD_ECAP_PDS = 1n << 42n;
export const VTD_ECAP_SMTS = 1n << 43n;
export const VTD_ECAP_SSTS = 1n << 46n;
export const VTD_ECAP_FSTS = 1n << 47n;

/** VER_REG: 1.0 in every version. */
export const VTD_VERSION = 0x10n;

/** Interrupt remapping and EIM as realize resolved them (`x86_iommu_ir_supported`, `intr_eim`). */
export interface VtdIrState {
  readonly intremap: boolean;
  readonly eim: boolean;
}

/**
 * `vtd_init` / `vtd_cap_init`: CAP and ECAP bit for bit as the profile computes them.
 */
export function vtdCapInit(profile: ProfileId, c: VtdConfig, ir: VtdIrState): { cap: bigint; ecap: bigint } {
  const p = VTD_PROFILES[profile];
  let cap = VTD_CAP_FRO | VTD_CAP_NFR | VTD_CAP_ND | VTD_CAP_MAMV | VTD_CAP_PSI | VTD_CAP_SLLPS | VTD_CAP_MGAW(c.awBits);
  let ecap = VTD_ECAP_QI | VTD_ECAP_IRO;
  if (p.drainAlways || c.dmaDrain) cap |= VTD_CAP_DRAIN;
  if (p.esrtps) cap |= VTD_CAP_ESRTPS;
  if (c.dmaTranslation) {
    if (c.awBits >= 39) cap |= VTD_CAP_SAGAW_39bit;
    if (c.awBits >= 48) cap |= VTD_CAP_SAGAW_48bit;
  }
  if (ir.intremap) {
    ecap |= VTD_ECAP_IR | VTD_ECAP_MHMV;
    if (ir.eim) ecap |= VTD_ECAP_EIM;
  }
  if (c.deviceIotlb) ecap |= VTD_ECAP_DT;
  if (p.ptBit === 'cap-bug') cap |= VTD_ECAP_PT;
  else if (c.pt) ecap |= VTD_ECAP_PT;
  if (c.cachingMode) cap |= VTD_CAP_CM;
  if (c.fsts) {
    ecap |= VTD_ECAP_SMTS | VTD_ECAP_FSTS;
    if (c.fs1gp) cap |= VTD_CAP_FS1GP;
  } else if (c.scalable) {
    ecap |= VTD_ECAP_SMTS | VTD_ECAP_SRS | VTD_ECAP_SSTS;
  }
  if (c.snoopControl) ecap |= VTD_ECAP_SC;
  if (c.pasid) {
    ecap |= VTD_ECAP_PASID;
    if (p.pss === 'fixed7') ecap |= 7n << VTD_ECAP_PSS_SHIFT;
    else if (p.pss === 'pasid-bits') ecap |= (BigInt(c.pasidBits - 1) & 0x1fn) << VTD_ECAP_PSS_SHIFT;
  }
  if (c.svm) ecap |= VTD_ECAP_PRS | VTD_ECAP_PDS | VTD_ECAP_NWFS;
  return { cap, ecap };
}
