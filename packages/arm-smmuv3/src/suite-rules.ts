import {
  field,
  kernelFeatures,
  qdictOrder,
  suiteBackendRule,
  type HostModel,
  type SuiteExpected as Expected,
  type SuitePropertySet as PropertySet,
  type SuiteRuleInput,
  type SuiteRules,
} from '@viommu/core';

/**
 * Expectations for `arm-smmuv3`, from the SMMUv3 ID register bits (Arm IHI0070) and QEMU's
 * documented behaviour, written independently of the engine.
 */

/** `ARM_SMMU_FEAT_*` bits (Linux arm-smmu-v3.h) of the probe line's `features` word. */
const FEAT = { STRTAB_2LVL: 1 << 0, TT_LE: 1 << 2, TT_BE: 1 << 3, COHERENCY: 1 << 8, TRANS_S1: 1 << 9, TRANS_S2: 1 << 10, RANGE_INV: 1 << 15, S2FWB: 1 << 23 };
/** `ARM_SMMU_OPT_CMDQ_FORCE_SYNC` of the `option mask`. */
const OPT_CMDQ_FORCE_SYNC = 1 << 3;
/** IDR5.OAS encodings by bits. */
const OAS_ENC: Readonly<Record<number, number>> = { 32: 0, 36: 1, 40: 2, 42: 3, 44: 4, 48: 5, 52: 6 };
/** IDR5.OAS encoding → bits. */
const OAS_BITS = [32, 36, 40, 42, 44, 48, 52, 56];

/**
 * What the rule knows of the host SMMU behind the device: from the ID registers when the
 * host printed them, else from the kernel's `features` word and `oas` (TTF, SIDSIZE and the
 * granules are then unknown and not judged).
 */
function hostFacts(host: HostModel, bdf: string) {
  const dev = host.devices.find((d) => d.bdf === bdf)!;
  const unit = host.units.find((x) => x.name === dev.unit)!;
  const r = unit.registers;
  const f = (v: bigint | undefined, lo: number, w: number) => Number(field(v ?? 0n, lo, w));
  if (r.idr0 !== undefined) {
    return {
      s1: f(r.idr0, 1, 1) === 1, s2: f(r.idr0, 0, 1) === 1,
      STLEVEL: f(r.idr0, 27, 2), TTENDIAN: f(r.idr0, 21, 2), TTF: f(r.idr0, 2, 2) as number | undefined,
      SIDSIZE: f(r.idr1, 0, 6) as number | undefined, RIL: f(r.idr3, 10, 1), OAS: f(r.idr5, 0, 3),
      granules: [['4K', f(r.idr5, 4, 1)], ['16K', f(r.idr5, 5, 1)], ['64K', f(r.idr5, 6, 1)]] as [string, number][],
    };
  }
  const feat = Number(unit.extra?.features ?? 0);
  const le = (feat & FEAT.TT_LE) !== 0, be = (feat & FEAT.TT_BE) !== 0;
  return {
    s1: (feat & FEAT.TRANS_S1) !== 0, s2: (feat & FEAT.TRANS_S2) !== 0,
    STLEVEL: feat & FEAT.STRTAB_2LVL ? 1 : 0, TTENDIAN: le && be ? 0 : le ? 2 : 3, TTF: undefined, SIDSIZE: undefined,
    RIL: feat & FEAT.RANGE_INV ? 1 : 0, OAS: OAS_ENC[Number(unit.extra?.oas ?? 0)] ?? 0, granules: [] as [string, number][],
  };
}

/**
 * The emulated SMMUv3 cannot notify VFIO of mappings (smmuv3_notify_flag_changed): any
 * passthrough device behind a non-accel vSMMU is refused.
 */
const MAP_NOTIFIER = 'requires iommu MAP notifier which is not currently supported';

/** `-machine virt,iommu=smmuv3`: in every profile; passthrough refused by the emulated SMMU. */
const machineSmmu: PropertySet = {
  name: 'virt,iommu=smmuv3',
  vmArgs: () => ['-machine', 'virt,iommu=smmuv3', '-accel', 'kvm'],
  expect: (i) =>
    suiteBackendRule(i) ?? vfioUnregistered(i) ?? { ok: false, contains: MAP_NOTIFIER, stage: 'vfio-attach', why: 'emulated SMMUv3 has no MAP notifier' },
};

/** The vSMMU's ID fields QEMU compares with the host's (read from QEMU 7.2's registers: idr0 0xd40101a, idr1 0x2730010, idr3 0x1404, idr5 0x74). */
const QEMU_VSMMU = { STLEVEL: 1, TTENDIAN: 2, TTF: 2, SIDSIZE: 16, RIL: 1, OAS: 4, GRAN4K: 1, GRAN16K: 1, GRAN64K: 1 };

/** The `arm-smmuv3` options of an accel set beyond `primary-bus`/`accel` (upstream `smmuv3_accel_idr_override`). */
interface AccelOptions {
  /** `ril=off` clears IDR3.RIL, so a host without range invalidation passes that check. */
  readonly ril: boolean;
  /** `oas=48` sets IDR5.OAS to 48 bits (default 44). */
  readonly oas: 44 | 48;
}

/**
 * The host SMMU's coherency facts: IORT/DT coherency (default IDR0.COHACC), the root complex's
 * CANWBS (`arm_smmu_master_canwbs`; default: coherent), S2FWB (IDR3.FWB on a coherent SMMU) and
 * the CMDQ_FORCE_SYNC option.
 */
function coherencyFacts(host: HostModel, bdf: string) {
  const dev = host.devices.find((d) => d.bdf === bdf)!;
  const unit = host.units.find((x) => x.name === dev.unit)!;
  const r = unit.registers;
  const x = unit.extra ?? {};
  const feat = Number(x.features ?? 0);
  const coherent = typeof x.coherent === 'boolean' ? x.coherent : r.idr0 !== undefined ? field(r.idr0, 4, 1) === 1n : (feat & FEAT.COHERENCY) !== 0;
  return {
    coherent,
    canwbs: typeof x.canwbs === 'boolean' ? x.canwbs : coherent,
    s2fwb: r.idr3 !== undefined ? coherent && field(r.idr3, 8, 1) === 1n : (feat & FEAT.S2FWB) !== 0,
    forceSync: (Number(x.options ?? 0) & OPT_CMDQ_FORCE_SYNC) !== 0,
  };
}

/**
 * VFIO registers no device behind an IOMMU without `IOMMU_CAP_CACHE_COHERENCY` (Linux
 * `__vfio_register_dev`: vfio-pci's probe fails EINVAL): neither `/dev/vfio/<group>` nor the
 * device's `vfio-dev` cdev exists, and QEMU's first open of either fails ENOENT.
 */
function vfioUnregistered(i: SuiteRuleInput): Expected | undefined {
  if (coherencyFacts(i.host, i.bdf).coherent) return undefined;
  const path = i.backend === 'legacy' ? '/dev/vfio/' : `/sys/bus/pci/devices/${i.bdf}/vfio-dev`;
  return { ok: false, contains: path, stage: 'vfio-attach', why: 'the SMMU is not coherent: VFIO does not register the device (ENOENT)' };
}

/**
 * What `IOMMU_VIOMMU_ALLOC` needs of the host SMMU behind the device (Linux
 * `arm_smmu_get_viommu_size`): FEAT_NESTING, no CMDQ_FORCE_SYNC option, and a way to keep the
 * VM from bypassing the cache — CANWBS or S2FWB. Else the size is 0 and the ioctl fails EOPNOTSUPP.
 */
function viommuAllocRefused(host: HostModel, bdf: string): string | undefined {
  const c = coherencyFacts(host, bdf);
  if (c.forceSync) return 'the SMMU needs CMDQ_FORCE_SYNC';
  if (!c.canwbs && !c.s2fwb) return 'the root complex is not CANWBS and the SMMU has no S2FWB';
  return undefined;
}

/** The `-device` option string of an accel set. */
function accelOptions(o: AccelOptions): string {
  return `accel=on${o.ril ? '' : ',ril=off'}${o.oas === 48 ? ',oas=48' : ''}`;
}

/**
 * `-device arm-smmuv3,accel=on[,ril=off][,oas=48]` (upstream): host nesting, then
 * `smmuv3_accel_check_hw_compatible` against the vSMMU those options make, then
 * `smmuv3_accel_alloc_viommu` (`IOMMU_VIOMMU_ALLOC` on the nest parent, the abort and bypass
 * proxy HWPTs, the attach GBPA selects).
 */
function accelSet(o: AccelOptions): PropertySet {
  const opts = accelOptions(o);
  return {
    // the vendor column says arm-smmuv3; the longer sets keep the suite table within 80 columns
    name: opts === 'accel=on' ? 'arm-smmuv3,accel=on' : opts,
    vmArgs: () => ['-machine', 'virt', '-accel', 'kvm', '-device', `arm-smmuv3,primary-bus=pcie.0,${opts}`],
    expect(i): Expected {
      const backend = suiteBackendRule(i);
      if (backend?.stage === 'option-parse') return backend;
      if (i.profile === '7.2' || i.profile === '10.0') {
        return { ok: false, message: "Parameter 'driver' expects a pluggable device type", stage: 'option-parse', why: 'arm-smmuv3 is not user-creatable before 10.2' };
      }
      if (i.profile === '10.2') {
        // QEMU sets -device options in QDict order: the first accel-only option in that order is reported.
        const first = qdictOrder(['primary-bus', ...opts.split(',').map((kv) => kv.split('=')[0]!)]).find((k) => k !== 'primary-bus');
        return { ok: false, message: `Property 'arm-smmuv3.${first}' not found`, stage: 'option-parse', why: 'accel and its options are upstream only' };
      }
      if (backend) return backend;
      const behindBridge = i.placement === 'pci-bridge' || i.placement === 'pcie-pci-bridge';
      // Behind a PCI bridge the requester id is the bridge's: an emulated address space (no MAP notifier).
      const emulated: Expected = { ok: false, contains: MAP_NOTIFIER, stage: 'vfio-attach', why: 'behind a bridge: the emulated SMMU translates' };
      if (i.backend === 'legacy') {
        if (behindBridge) return vfioUnregistered(i) ?? emulated;
        const text = 'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on';
        return { ok: false, message: text, stage: 'realize', why: 'smmuv3_accel_supports_as' };
      }
      const unregistered = vfioUnregistered(i);
      if (unregistered) return unregistered;
      const h = hostFacts(i.host, i.bdf);
      if (!kernelFeatures(i.host.kernel.release).nestingArmSmmuv3 || !h.s1 || !h.s2) {
        return { ok: false, why: 'host SMMU or kernel without nesting (S1 and S2 translation, Linux 6.14)' };
      }
      if (behindBridge) return emulated;
      const mismatch = (text: string): Expected => ({ ok: false, contains: text, stage: 'set-iommu-device', why: text });
      const q = { ...QEMU_VSMMU, RIL: o.ril ? 1 : 0, OAS: OAS_ENC[o.oas]! };
      if (h.STLEVEL !== q.STLEVEL) return mismatch(`Host SMMUv3 Stream Table format mismatch (host STLEVEL=${h.STLEVEL}, QEMU STLEVEL=${q.STLEVEL})`);
      if (h.TTENDIAN > q.TTENDIAN) return mismatch("Host SMMUv3 doesn't support Little-endian translation table");
      if (h.TTF !== undefined && h.TTF < q.TTF) return mismatch("Host SMMUv3 doesn't support AArch64 translation table format");
      if (h.SIDSIZE !== undefined && h.SIDSIZE < q.SIDSIZE) return mismatch(`Host SMMUv3 SIDSIZE not compatible (host=${h.SIDSIZE}, QEMU=${q.SIDSIZE})`);
      if (h.RIL < q.RIL) return mismatch("Host SMMUv3 doesn't support Range Invalidation");
      if (h.OAS < q.OAS) return mismatch(`Host SMMUv3 supports only ${OAS_BITS[h.OAS]}-bit IPA, but the vSMMU OAS implies ${o.oas}-bit IPA`);
      for (const [g, bit] of h.granules) if (bit !== 1) return mismatch(`Host SMMUv3 doesn't support ${g} translation granule`);
      const refused = viommuAllocRefused(i.host, i.bdf);
      if (refused) return { ok: false, contains: 'IOMMU_VIOMMU_ALLOC failed: Operation not supported', stage: 'set-iommu-device', why: refused };
      return { ok: true, why: 'host SMMU nests and matches the vSMMU: vIOMMU, abort and bypass proxies allocated' };
    },
  };
}

/**
 * `viommu suite`'s arm-smmuv3 scenarios, registered under `SUITE_RULES`. No catalogued SMMUv3
 * host has range invalidation, so only the `ril=off` sets reach `IOMMU_VIOMMU_ALLOC`.
 */
export const ARM_SMMUV3_SUITE_RULES: SuiteRules = {
  typeName: 'arm-smmuv3',
  vendor: 'arm',
  arch: 'aarch64',
  sets: [machineSmmu, accelSet({ ril: true, oas: 44 }), accelSet({ ril: false, oas: 44 }), accelSet({ ril: false, oas: 48 })],
};
