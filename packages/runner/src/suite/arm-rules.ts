import { field, kernelFeatures, type HostModel } from '@viommu/core';
import { backendRule } from './backend-rule.js';
import type { Expected, PropertySet, VendorRules } from './model.js';

/**
 * Expectations for `arm-smmuv3`, from the SMMUv3 ID register bits (Arm IHI0070) and QEMU's
 * documented behaviour, written independently of the engine.
 */

function idrsOf(host: HostModel, bdf: string): Readonly<Record<string, bigint>> {
  const dev = host.devices.find((d) => d.bdf === bdf)!;
  return host.units.find((x) => x.name === dev.unit)!.registers;
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
  expect: (i) => backendRule(i) ?? { ok: false, contains: MAP_NOTIFIER, stage: 'vfio-attach', why: 'emulated SMMUv3 has no MAP notifier' },
};

/** The vSMMU's ID fields QEMU compares with the host's (read from QEMU 7.2's registers: idr0 0xd40101a, idr1 0x2730010, idr3 0x1404, idr5 0x74). */
const QEMU_VSMMU = { STLEVEL: 1, TTENDIAN: 2, TTF: 2, SIDSIZE: 16, RIL: 1, OAS: 4, GRAN4K: 1, GRAN16K: 1, GRAN64K: 1 };

/** `-device arm-smmuv3,accel=on` (upstream): host nesting, then `smmuv3_accel_check_hw_compatible`. */
const accelSmmu: PropertySet = {
  name: 'arm-smmuv3,accel=on',
  vmArgs: () => ['-machine', 'virt', '-accel', 'kvm', '-device', 'arm-smmuv3,primary-bus=pcie.0,accel=on'],
  expect(i): Expected {
    const backend = backendRule(i);
    if (backend?.stage === 'option-parse') return backend;
    if (i.profile === '7.2' || i.profile === '10.0') {
      return { ok: false, message: "Parameter 'driver' expects a pluggable device type", stage: 'option-parse', why: 'arm-smmuv3 is not user-creatable before 10.2' };
    }
    if (i.profile === '10.2') return { ok: false, message: "Property 'arm-smmuv3.accel' not found", stage: 'option-parse', why: 'accel is upstream only' };
    if (backend) return backend;
    const behindBridge = i.placement === 'pci-bridge' || i.placement === 'pcie-pci-bridge';
    // Behind a PCI bridge the requester id is the bridge's: an emulated address space (no MAP notifier).
    const emulated: Expected = { ok: false, contains: MAP_NOTIFIER, stage: 'vfio-attach', why: 'behind a bridge: the emulated SMMU translates' };
    if (i.backend === 'legacy') {
      if (behindBridge) return emulated;
      const text = 'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on';
      return { ok: false, message: text, stage: 'realize', why: 'smmuv3_accel_supports_as' };
    }
    const r = idrsOf(i.host, i.bdf);
    const idr0 = r.idr0 ?? 0n, idr1 = r.idr1 ?? 0n, idr3 = r.idr3 ?? 0n, idr5 = r.idr5 ?? 0n;
    const f = (v: bigint, lo: number, w: number) => Number(field(v, lo, w));
    if (!kernelFeatures(i.host.kernel.release).nestingArmSmmuv3 || !(f(idr0, 0, 1) && f(idr0, 1, 1))) {
      return { ok: false, why: 'host SMMU or kernel without nesting (IDR0.S1P+S2P, Linux 6.14)' };
    }
    if (behindBridge) return emulated;
    const mismatch = (text: string): Expected => ({ ok: false, contains: text, stage: 'set-iommu-device', why: text });
    const h = { STLEVEL: f(idr0, 27, 2), TTENDIAN: f(idr0, 21, 2), TTF: f(idr0, 2, 2), SIDSIZE: f(idr1, 0, 6), RIL: f(idr3, 10, 1), OAS: f(idr5, 0, 3) };
    const q = QEMU_VSMMU;
    if (h.STLEVEL !== q.STLEVEL) return mismatch(`Host SMMUv3 Stream Table format mismatch (host STLEVEL=${h.STLEVEL}, QEMU STLEVEL=${q.STLEVEL})`);
    if (h.TTENDIAN > q.TTENDIAN) return mismatch("Host SMMUv3 doesn't support Little-endian translation table");
    if (h.TTF < q.TTF) return mismatch("Host SMMUv3 doesn't support AArch64 translation table format");
    if (h.SIDSIZE < q.SIDSIZE) return mismatch(`Host SMMUv3 SIDSIZE not compatible (host=${h.SIDSIZE}, QEMU=${q.SIDSIZE})`);
    if (h.RIL < q.RIL) return mismatch("Host SMMUv3 doesn't support Range Invalidation");
    if (h.OAS < q.OAS) return mismatch('bit IPA, but the vSMMU OAS implies');
    for (const [g, bit] of [['4K', 4], ['16K', 5], ['64K', 6]] as const) {
      if (f(idr5, bit, 1) !== 1) return mismatch(`Host SMMUv3 doesn't support ${g} translation granule`);
    }
    return { ok: true, why: 'host SMMU nests and matches the vSMMU' };
  },
};

export const ARM_RULES: VendorRules = { typeName: 'arm-smmuv3', vendor: 'arm', arch: 'aarch64', sets: [machineSmmu, accelSmmu] };
