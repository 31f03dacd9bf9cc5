import {
  field,
  hex,
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
 * Expectations for `virtio-iommu-pci` on q35 over VT-d hosts, from QEMU's source
 * (hw/virtio/virtio-iommu.c `virtio_iommu_device_realize`, `check_page_size_mask`,
 * hw/i386/pc.c's one-vIOMMU rule) and the host's registers, written independently of the
 * plugin: no call into it, only the facts it must agree with.
 */

const SZ_4K = 0x1000n;
const SZ_2M = 0x200000n;
const SZ_1G = 0x40000000n;
const U64 = (1n << 64n) - 1n;

/** `granule` and `aw-bits` exist from 9.0; 7.2 has neither. */
const HAS_GRANULE_AW_BITS: Readonly<Record<ProfileId, boolean>> = { '7.2': false, '10.0': true, '10.2': true, upstream: true };

/**
 * The page sizes VFIO hands to `set_iommu_device` (9.1+): legacy type1's `iova_pgsizes` is the
 * domain's `pgsize_bitmap` (Linux intel-iommu: a first-stage domain when scalable mode has
 * ECAP.FLTS — 4K|2M, 1G with CAP.FS1GP (56) — else second stage, 2M/1G from CAP.SLLPS bits
 * 34/35); iommufd's is the IOAS `out_iova_alignment`, 4K on x86.
 */
function hostPageSizes(i: RuleInput): bigint {
  if (i.backend === 'iommufd') return SZ_4K;
  const dev = i.host.devices.find((d) => d.bdf === i.bdf)!;
  const { cap = 0n, ecap = 0n } = i.host.units.find((u) => u.name === dev.unit)!.registers;
  if (scalable(i.host, ecap) && testBit(ecap, 47)) return SZ_4K | SZ_2M | (testBit(cap, 56) ? SZ_1G : 0n);
  const sllps = field(cap, 34, 4);
  return SZ_4K | (testBit(sllps, 0) ? SZ_2M : 0n) | (testBit(sllps, 1) ? SZ_1G : 0n);
}

/** Scalable mode in use: ECAP.SMTS (43), unless `intel_iommu=sm_off`. */
function scalable(host: HostModel, ecap: bigint): boolean {
  const smOff = /\bintel_iommu=\S*\bsm_off\b/.test(host.kernel.cmdline) && !/\bintel_iommu=\S*\bsm_on\b/.test(host.kernel.cmdline);
  return !smOff && testBit(ecap, 43);
}

/** The attach-time refusals: the backend, then MSI isolation. */
const attachRule = (i: RuleInput): Expected | undefined => suiteBackendRule(i) ?? suiteVtdMsiRule(i);

const OK: Expected = { ok: true, why: 'fits' };
const MACHINE = ['-machine', 'q35', '-accel', 'kvm'];
const PCI = 'virtio-iommu-pci';

const notFound = (prop: string): Expected => ({
  ok: false,
  message: `Property '${PCI}.${prop}' not found`,
  stage: 'option-parse',
  why: `QEMU 7.2's ${PCI} has no ${prop}`,
});

/**
 * A set whose property appears in 9.0. Order follows QEMU's: option parsing (`-object iommufd`,
 * then "not found" in 7.2), the vIOMMU's realize, and only then the VFIO device's attach.
 */
function newProperty(name: string, prop: string, expect: (i: RuleInput) => Expected): PropertySet {
  return {
    name,
    vmArgs: () => [...MACHINE, '-device', `${PCI},${name}`],
    expect(i) {
      const backend = attachRule(i);
      if (backend?.stage === 'option-parse') return backend;
      if (!HAS_GRANULE_AW_BITS[i.profile]) return notFound(prop);
      const own = expect(i);
      return own.stage === 'realize' ? own : (backend ?? own);
    },
  };
}

/** No properties: 7.2 negotiates nothing at realize (`boot-bypass=on`); 9.1+ masks always share 4K. */
const plain: PropertySet = {
  name: 'default',
  vmArgs: () => [...MACHINE, '-device', PCI],
  expect: (i) => attachRule(i) ?? OK,
};

const granule4k = newProperty('granule=4k', 'granule', () => OK);

/** `granule=64k`: the mask starts at ~0xffff and must share a page size with the host's. */
function granule64k(i: RuleInput): Expected {
  const cur = U64 & ~0xffffn;
  const host = hostPageSizes(i);
  if ((cur & host) !== 0n) return { ok: true, why: `host page sizes ${hex(host)} include one ≥ 64K` };
  return {
    ok: false,
    message: `vfio ${i.bdf}: Failed to set vIOMMU: ${i.bdf}: virtio-iommu reports a page size mask ${hex(host)} incompatible with currently supported mask ${hex(cur)}`,
    stage: 'set-iommu-device',
    why: `host page sizes ${hex(host)} are all below 64K`,
  };
}

/** `aw-bits` outside [32, 64] is refused at realize. */
const awBits31 = newProperty('aw-bits=31', 'aw-bits', () => ({ ok: false, message: 'aw-bits must be within [32,64]', stage: 'realize', why: 'aw-bits < 32' }));

/** A second vIOMMU on x86 (`pc_machine_device_pre_plug_cb` / x86-iommu): refused in every profile. */
const withIntelIommu: PropertySet = {
  name: '+intel-iommu',
  vmArgs: () => ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm', '-device', 'intel-iommu', '-device', PCI],
  expect: (i) => {
    const backend = suiteBackendRule(i);
    if (backend?.stage === 'option-parse') return backend;
    return { ok: false, message: 'QEMU does not support multiple vIOMMUs for x86 yet.', stage: 'realize', why: 'one vIOMMU per x86 machine' };
  },
};

/** `viommu suite`'s virtio-iommu scenarios, registered under `SUITE_RULES`. */
export const VIRTIO_IOMMU_SUITE_RULES: SuiteRules = {
  typeName: PCI,
  vendor: 'virtio',
  arch: 'x86_64',
  hostVendors: ['intel'],
  sets: [plain, granule4k, newProperty('granule=64k', 'granule', granule64k), awBits31, withIntelIommu],
};
