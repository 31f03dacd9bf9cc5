import type { ProfileId } from '@viommu/core';

/**
 * What `hw/i386/intel_iommu.c` (and `x86-iommu.c`, `pc.c`) does in each profile, as data.
 * Property names, checks, register bits and host-device rules are read from here only.
 */
export interface VtdProfile {
  /** Scalable-mode property: `x-scalable-mode` (≤ early 2026), `scalable-mode` (08dc347e). */
  readonly scalableProp: string;
  /** First-stage property: none (7.2), `x-flts` (9.2), `fsts` (c068e00c). */
  readonly fstsProp: string | null;
  /** PASID property: `x-pasid-mode` (bool) or `pasid-bits` (uint8, 312f3ef8). */
  readonly pasidProp: { readonly name: string; readonly type: 'bool' | 'uint8' };
  /** Default `aw-bits` (`VTD_HOST_ADDRESS_WIDTH`): 39 up to 9.1, 48 from 9.2. */
  readonly awBitsDefault: number;
  /** Properties of the profile beyond the common ones. */
  readonly has: {
    readonly fs1gp: boolean;
    readonly staleTm: boolean;
    readonly svm: boolean;
    readonly buggyEim: boolean;
    readonly dmaDrain: boolean;
    readonly pt: boolean;
  };
  /** Machine-type compat (`pc_compat_*`, `hw_compat_*`): up to (inclusive) that machine version. */
  readonly compat: readonly { readonly upTo: readonly [number, number]; readonly props: Readonly<Record<string, string>> }[];
  /** How messages name the first-stage switch: `flts` (9.2–10.2 wording), `fsts` (c068e00c). */
  readonly fstsWord: string;

  /** E1: `PASID based device IOTLB is not supported` (gone in 2026). */
  readonly pasidDevIotlbCheck: boolean;
  /** 7.2: `eim=on requires accel=kvm,kernel-irqchip=split` (dropped in 8.x). */
  readonly eimRequiresSplit: boolean;
  /** aw-bits wording: one message (7.2) or per mode (9.2+). */
  readonly awBitsByMode: boolean;
  /** `Need to set dma_drain for scalable mode` (while `dma-drain` exists). */
  readonly drainForScalable: boolean;
  /** The `svm` checks of 2026 `vtd_decide_config`. */
  readonly svmChecks: boolean;

  /** CAP.ESRTPS always (10.2+). */
  readonly esrtps: boolean;
  /** CAP.DRAIN always (2026: no `dma-drain` property). */
  readonly drainAlways: boolean;
  /** ECAP.PSS with PASID: none (7.2/10.0), 7 (10.2), `pasid-bits - 1` (2b0d91ed). */
  readonly pss: 'none' | 'fixed7' | 'pasid-bits';
  /** Where the PT bit goes: ECAP if `pt` (≤10.2), or CAP bit 6 (the 2026 removal bug, §3.4). */
  readonly ptBit: 'ecap-if-pt' | 'cap-bug';

  /** `set_iommu_device` exists (9.1+). */
  readonly hiod: boolean;
  /** Where caching mode is enforced for assigned devices: machine-init-done (7.2/10.0) or `set_iommu_device` (10.2+). */
  readonly cachingModeCheck: 'machine-init-done' | 'set-iommu-device';
  /** First stage in `vtd_check_hiod`: refuse every device (9.2–10.2) or `vtd_check_hiod_accel` (2026). */
  readonly fstsHiod: 'refuse' | 'accel';
  /** `vtd_check_hiod_accel` compares `pasid-bits` with the host's PSS + 1 (with `pasid-bits`). */
  readonly hiodPasidBitsCheck: boolean;
  /** `get_viommu_flags`: none, nesting parent + dirty tracking, plus the PASID flags. */
  readonly viommuFlags: 'none' | 'nesting' | 'nesting+pasid';
  /** `get_host_iommu_quirks` (2026, CONFIG_VTD_ACCEL). */
  readonly hostQuirks: boolean;
  /** `get_iotlb_info` (10.2+). */
  readonly iotlbInfo: boolean;
}

const PC_COMPAT_3_1 = { upTo: [3, 1] as const, props: { 'dma-drain': 'off' } };
const HW_COMPAT_2_9 = { upTo: [2, 9] as const, props: { pt: 'off' } };
const HW_COMPAT_2_7 = { upTo: [2, 7] as const, props: { 'x-buggy-eim': 'true' } };
const PC_COMPAT_9_1 = { upTo: [9, 1] as const, props: { 'stale-tm': 'on', 'aw-bits': '39' } };

const V7_2: VtdProfile = {
  scalableProp: 'x-scalable-mode',
  fstsProp: null,
  pasidProp: { name: 'x-pasid-mode', type: 'bool' },
  awBitsDefault: 39,
  has: { fs1gp: false, staleTm: false, svm: false, buggyEim: true, dmaDrain: true, pt: true },
  compat: [PC_COMPAT_3_1, HW_COMPAT_2_9, HW_COMPAT_2_7],
  fstsWord: 'flts',
  pasidDevIotlbCheck: true,
  eimRequiresSplit: true,
  awBitsByMode: false,
  drainForScalable: true,
  svmChecks: false,
  esrtps: false,
  drainAlways: false,
  pss: 'none',
  ptBit: 'ecap-if-pt',
  hiod: false,
  cachingModeCheck: 'machine-init-done',
  fstsHiod: 'refuse',
  hiodPasidBitsCheck: false,
  viommuFlags: 'none',
  hostQuirks: false,
  iotlbInfo: false,
};

const V10_0: VtdProfile = {
  ...V7_2,
  fstsProp: 'x-flts',
  awBitsDefault: 48,
  has: { ...V7_2.has, fs1gp: true, staleTm: true },
  compat: [PC_COMPAT_9_1, PC_COMPAT_3_1, HW_COMPAT_2_9, HW_COMPAT_2_7],
  eimRequiresSplit: false,
  awBitsByMode: true,
  hiod: true,
};

const V10_2: VtdProfile = {
  ...V10_0,
  esrtps: true,
  pss: 'fixed7',
  cachingModeCheck: 'set-iommu-device',
  iotlbInfo: true,
};

/** Upstream after c068e00c (`fsts`), 08dc347e (`scalable-mode`), 312f3ef8/2b0d91ed (`pasid-bits`, PASID flags). */
const UPSTREAM: VtdProfile = {
  ...V10_2,
  scalableProp: 'scalable-mode',
  fstsProp: 'fsts',
  pasidProp: { name: 'pasid-bits', type: 'uint8' },
  fstsWord: 'fsts',
  has: { fs1gp: true, staleTm: true, svm: true, buggyEim: false, dmaDrain: false, pt: false },
  compat: [PC_COMPAT_9_1, PC_COMPAT_3_1],
  pasidDevIotlbCheck: false,
  drainForScalable: false,
  svmChecks: true,
  drainAlways: true,
  pss: 'pasid-bits',
  ptBit: 'cap-bug',
  fstsHiod: 'accel',
  hiodPasidBitsCheck: true,
  viommuFlags: 'nesting+pasid',
  hostQuirks: true,
};

/** The intel-iommu behaviour of each profile. */
export const VTD_PROFILES: Readonly<Record<ProfileId, VtdProfile>> = {
  '7.2': V7_2,
  '10.0': V10_0,
  '10.2': V10_2,
  upstream: UPSTREAM,
};
