import 'reflect-metadata';
import { expect } from 'chai';
import { container } from 'tsyringe';
import { SUITE_RULES, type HostIommuUnit, type HostModel, type ProfileId, type SuiteBackend, type SuitePlacement } from '@viommu/core';
import { ARM_SMMUV3_SUITE_RULES, register } from '../src/index.js';
import { GRACE, regUnit } from './host-units.js';

const BDF = '0000:01:00.0';

function host(unit: HostIommuUnit, release = '6.16.0'): HostModel {
  return {
    id: 'test',
    arch: 'aarch64',
    kernel: { release, cmdline: '', iommufd: true, vfioCdev: true, vfioType1: true },
    units: [unit],
    devices: [{ bdf: BDF, unit: unit.name, group: 0, driver: 'vfio-pci' }],
  };
}

function expectOf(set: string, h: HostModel, profile: ProfileId, backend: SuiteBackend, placement: SuitePlacement = 'root-port') {
  const s = ARM_SMMUV3_SUITE_RULES.sets.find((x) => x.name === set)!;
  return s.expect({ host: h, bdf: BDF, backend, placement, profile });
}

/** IDR0 S1P|S2P, TTF AArch64 (2), COHACC, ST_LEVEL 2-level (1); IDR1 SIDSIZE 16; IDR3 RIL; IDR5 OAS 48-bit, 4K/16K/64K (Arm IHI0070). */
const IDRS = { idr0: 0x0800001bn, idr1: 0x10n, idr3: 0x400n, idr5: 0x75n };

describe('arm-smmuv3 suite rules', () => {
  it('are registered under SUITE_RULES for arm-smmuv3 on aarch64 SMMUv3 hosts', () => {
    const c = container.createChildContainer();
    register(c);
    const rules = c.resolveAll(SUITE_RULES);
    expect(rules).to.have.length(1);
    expect(rules[0]).to.include({ typeName: 'arm-smmuv3', vendor: 'arm', arch: 'aarch64' });
    expect(rules[0]!.sets.map((s) => s.name)).to.deep.equal([
      'virt,iommu=smmuv3',
      'arm-smmuv3,accel=on',
      'accel=on,ril=off',
      'accel=on,ril=off,oas=48',
    ]);
  });

  it('the emulated SMMU refuses passthrough in every profile (no MAP notifier)', () => {
    for (const p of ['7.2', '10.0', '10.2', 'upstream'] as const) {
      expect(expectOf('virt,iommu=smmuv3', host(GRACE.unit), p, 'legacy')).to.deep.include({
        ok: false,
        contains: 'requires iommu MAP notifier which is not currently supported',
        stage: 'vfio-attach',
      });
    }
  });

  it('-device arm-smmuv3 is not pluggable in 7.2 and 10.0 (both binaries run); accel is upstream only', () => {
    for (const p of ['7.2', '10.0'] as const) {
      expect(expectOf('arm-smmuv3,accel=on', host(GRACE.unit), p, 'legacy')).to.deep.include({ message: "Parameter 'driver' expects a pluggable device type", stage: 'option-parse' });
    }
    expect(expectOf('arm-smmuv3,accel=on', host(GRACE.unit), '10.2', 'iommufd')).to.deep.include({ message: "Property 'arm-smmuv3.accel' not found" });
    expect(expectOf('arm-smmuv3,accel=on', host(GRACE.unit), 'upstream', 'legacy')).to.deep.include({
      ok: false,
      message: 'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on',
      stage: 'realize',
    });
  });

  it('accel=on with iommufd: ID registers matching the vSMMU start; a host without range invalidation or with a smaller OAS is refused', () => {
    expect(expectOf('arm-smmuv3,accel=on', host(regUnit('smmu0', IDRS)), 'upstream', 'iommufd')).to.include({ ok: true });
    expect(expectOf('arm-smmuv3,accel=on', host(regUnit('smmu0', IDRS)), 'upstream', 'iommufd', 'pcie-pci-bridge')).to.deep.include({ ok: false, stage: 'vfio-attach' });
    expect(expectOf('arm-smmuv3,accel=on', host(regUnit('smmu0', { ...IDRS, idr3: 0n })), 'upstream', 'iommufd')).to.deep.include({
      ok: false,
      contains: "Host SMMUv3 doesn't support Range Invalidation",
      stage: 'set-iommu-device',
    });
    expect(expectOf('arm-smmuv3,accel=on', host(regUnit('smmu0', { ...IDRS, idr5: 0x73n })), 'upstream', 'iommufd')).to.deep.include({ ok: false, stage: 'set-iommu-device' });
    expect(expectOf('arm-smmuv3,accel=on', host(regUnit('smmu0', IDRS), '6.12.0'), 'upstream', 'iommufd')).to.include({ ok: false });
  });

  it('ril=off lets a host without range invalidation through to IOMMU_VIOMMU_ALLOC; oas=48 needs a 48-bit host', () => {
    const noRil = host(regUnit('smmu0', { ...IDRS, idr3: 0n }));
    expect(expectOf('accel=on,ril=off', noRil, 'upstream', 'iommufd')).to.include({ ok: true });
    expect(expectOf('accel=on,ril=off', noRil, 'upstream', 'iommufd', 'root-bus')).to.include({ ok: true });
    expect(expectOf('accel=on,ril=off,oas=48', noRil, 'upstream', 'iommufd')).to.include({ ok: true });
    // IDR5.OAS 4 (44 bits)
    expect(expectOf('accel=on,ril=off,oas=48', host(regUnit('smmu0', { ...IDRS, idr3: 0n, idr5: 0x74n })), 'upstream', 'iommufd')).to.deep.include({
      ok: false,
      contains: 'Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA',
      stage: 'set-iommu-device',
    });
    expect(expectOf('accel=on,ril=off', noRil, 'upstream', 'legacy', 'pcie-pci-bridge')).to.deep.include({ contains: 'requires iommu MAP notifier which is not currently supported' });
  });

  it('10.2 reports the first accel option in QDict order (ril before accel, oas before both), as QEMU 7.2 does for intel-iommu', () => {
    expect(expectOf('accel=on,ril=off', host(GRACE.unit), '10.2', 'iommufd')).to.deep.include({ message: "Property 'arm-smmuv3.ril' not found" });
    expect(expectOf('accel=on,ril=off,oas=48', host(GRACE.unit), '10.2', 'legacy')).to.deep.include({ message: "Property 'arm-smmuv3.oas' not found" });
  });

  it('a non-coherent SMMU has no VFIO device node (__vfio_register_dev); CMDQ_FORCE_SYNC or no CANWBS/S2FWB fails IOMMU_VIOMMU_ALLOC', () => {
    const nonCoherent = host(regUnit('smmu0', { ...IDRS, idr0: 0x0800000bn }));
    expect(expectOf('virt,iommu=smmuv3', nonCoherent, '10.0', 'legacy')).to.deep.include({ ok: false, contains: '/dev/vfio/', stage: 'vfio-attach' });
    expect(expectOf('accel=on,ril=off', nonCoherent, 'upstream', 'iommufd')).to.deep.include({
      ok: false,
      contains: '/sys/bus/pci/devices/0000:01:00.0/vfio-dev',
      stage: 'vfio-attach',
    });
    const forceSync = regUnit('smmu0', IDRS);
    const viommuEop = { ok: false, contains: 'IOMMU_VIOMMU_ALLOC failed: Operation not supported', stage: 'set-iommu-device' };
    expect(expectOf('arm-smmuv3,accel=on', host({ ...forceSync, extra: { options: 8 } }), 'upstream', 'iommufd')).to.deep.include(viommuEop);
    expect(expectOf('arm-smmuv3,accel=on', host({ ...forceSync, extra: { canwbs: false } }), 'upstream', 'iommufd')).to.deep.include(viommuEop);
    // IDR3.FWB on a coherent SMMU: S2FWB stands in for CANWBS
    expect(expectOf('arm-smmuv3,accel=on', host({ ...regUnit('smmu0', { ...IDRS, idr3: 0x500n }), extra: { canwbs: false } }), 'upstream', 'iommufd')).to.include({ ok: true });
  });
});
