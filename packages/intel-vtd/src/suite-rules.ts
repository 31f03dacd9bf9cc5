import {
  field,
  suiteBackendRule,
  suiteVtdMsiRule,
  testBit,
  type HostModel,
  type ProfileId,
  type SuiteExpected as Expected,
  type SuitePropertySet as PropertySet,
  type SuiteRuleInput as RuleInput,
  type SuiteRules,
} from '@viommu/core';

/**
 * Expectations for `intel-iommu`, from the VT-d spec's CAP/ECAP bits and QEMU's documented
 * checks (hw/i386/intel_iommu.c `vtd_check_hiod`, `vtd_check_hiod_accel`), written
 * independently of the engine.
 */

/** The host unit's CAP/ECAP behind the device. */
function unitOf(host: HostModel, bdf: string): { cap: bigint; ecap: bigint } {
  const dev = host.devices.find((d) => d.bdf === bdf)!;
  const u = host.units.find((x) => x.name === dev.unit)!;
  return { cap: u.registers.cap ?? 0n, ecap: u.registers.ecap ?? 0n };
}

/** Scalable mode in use: ECAP.SMTS (43), unless `intel_iommu=sm_off` (Linux `sm_supported`). */
function scalable(host: HostModel, ecap: bigint): boolean {
  const smOff = /\bintel_iommu=\S*\bsm_off\b/.test(host.kernel.cmdline) && !/\bintel_iommu=\S*\bsm_on\b/.test(host.kernel.cmdline);
  return !smOff && testBit(ecap, 43);
}

/**
 * The address width QEMU sees for the host device: the IOVA aperture of the domain the
 * kernel gives it (Linux `__iommu_calculate_sagaw` → agaw, `gaw = min(agaw width, MGAW)`,
 * first-stage domains one bit less for canonical addresses). `secondStage`: a nesting parent.
 */
function hostAw(host: HostModel, cap: bigint, ecap: bigint, secondStage: boolean): number {
  const sm = scalable(host, ecap);
  const firstStage = sm && testBit(ecap, 47);
  const slSagaw = Number(field(cap, 8, 5));
  const flSagaw = (1 << 2) | (testBit(cap, 60) ? 1 << 3 : 0);
  const sagaw = !firstStage ? slSagaw : !testBit(ecap, 46) ? flSagaw : flSagaw & slSagaw;
  let agaw = 3;
  while (agaw >= 0 && !((sagaw >> agaw) & 1)) agaw--;
  const gaw = Math.min(30 + 9 * agaw, Number(field(cap, 16, 6)) + 1);
  return firstStage && !secondStage ? gaw - 1 : gaw;
}

/** Scalable-mode nesting: ECAP.SMTS (43) and ECAP.NEST (26), unless `intel_iommu=sm_off`. */
function nesting(host: HostModel, ecap: bigint): boolean {
  return scalable(host, ecap) && testBit(ecap, 26);
}

/** The attach-time refusals: the backend, then MSI isolation. */
const attachRule = (i: RuleInput): Expected | undefined => suiteBackendRule(i) ?? suiteVtdMsiRule(i);

const QEMU_DEFAULT_AW: Readonly<Record<ProfileId, number>> = { '7.2': 39, '10.0': 48, '10.2': 48, upstream: 48 };
const HAS_HOST_IOMMU_DEVICE: Readonly<Record<ProfileId, boolean>> = { '7.2': false, '10.0': true, '10.2': true, upstream: true };

const failSet = (bdf: string, text: string): Expected => ({
  ok: false,
  message: `vfio ${bdf}: Failed to set vIOMMU: ${text}`,
  stage: 'set-iommu-device',
  why: text,
});

/** The aw-bits check of `vtd_check_hiod` (10.0+). */
function awRule(i: RuleInput, aw: number, nestParent = false): Expected | undefined {
  const { cap, ecap } = unitOf(i.host, i.bdf);
  const host = hostAw(i.host, cap, ecap, nestParent);
  if (HAS_HOST_IOMMU_DEVICE[i.profile] && aw > host) return failSet(i.bdf, `aw-bits ${aw} > host aw-bits ${host}`);
  return undefined;
}

const MACHINE = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm'];
const OK: Expected = { ok: true, why: 'fits' };

/** `caching-mode=on` with the profile's default aw-bits (39 in 7.2, 48 from 9.2). */
const defaultAw: PropertySet = {
  name: 'caching-mode',
  vmArgs: () => [...MACHINE, '-device', 'intel-iommu,caching-mode=on'],
  expect: (i) => attachRule(i) ?? awRule(i, QEMU_DEFAULT_AW[i.profile]) ?? OK,
};

/** `caching-mode=on,aw-bits=39`: fits every VT-d unit (MGAW ≥ 39). */
const aw39: PropertySet = {
  name: 'aw-bits=39',
  vmArgs: () => [...MACHINE, '-device', 'intel-iommu,caching-mode=on,aw-bits=39'],
  expect: (i) => attachRule(i) ?? awRule(i, 39) ?? OK,
};

/** First-stage translation for the guest: `x-flts=on` (10.0, 10.2), `fsts=on` (upstream); absent in 7.2. */
const firstStage: PropertySet = {
  name: 'flts',
  vmArgs: (p) => [
    ...MACHINE,
    '-device',
    p === 'upstream' ? 'intel-iommu,caching-mode=on,scalable-mode=on,fsts=on' : 'intel-iommu,caching-mode=on,x-scalable-mode=on,x-flts=on',
  ],
  expect(i) {
    const backend = attachRule(i);
    if (backend?.stage === 'option-parse') return backend;
    if (i.profile === '7.2') return { ok: false, message: "Property 'intel-iommu.x-flts' not found", stage: 'option-parse', why: 'QEMU 7.2 has no x-flts' };
    if (backend) return backend;
    const { cap, ecap } = unitOf(i.host, i.bdf);
    if (i.profile !== 'upstream') return awRule(i, 48) ?? failSet(i.bdf, 'host device is uncompatible with stage-1 translation');
    if (i.backend === 'iommufd' && !nesting(i.host, ecap)) {
      return { ok: false, stage: 'vfio-attach', why: 'the host unit cannot be a nesting parent (ECAP.SMTS/NEST or sm_off)' };
    }
    return (
      awRule(i, 48, i.backend === 'iommufd') ??
      (i.backend === 'legacy' ? failSet(i.bdf, 'Need IOMMUFD backend when fsts=on') : undefined) ??
      (!testBit(cap, 56) ? failSet(i.bdf, 'First stage 1GB large page is unsupported by host IOMMU') : undefined) ??
      (i.placement === 'pci-bridge' || i.placement === 'pcie-pci-bridge'
        ? failSet(i.bdf, 'Host device downstream to a PCI bridge is unsupported when fsts=on')
        : undefined) ??
      OK
    );
  },
};

/** `viommu suite`'s intel-iommu scenarios, registered under `SUITE_RULES`. */
export const INTEL_SUITE_RULES: SuiteRules = { typeName: 'intel-iommu', vendor: 'intel', arch: 'x86_64', sets: [defaultAw, aw39, firstStage] };
