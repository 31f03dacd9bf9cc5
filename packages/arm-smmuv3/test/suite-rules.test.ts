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

/** IDR0 S1P|S2P, TTF AArch64 (2), ST_LEVEL 2-level (1); IDR1 SIDSIZE 16; IDR3 RIL; IDR5 OAS 48-bit, 4K/16K/64K (Arm IHI0070). */
const IDRS = { idr0: 0x0800000bn, idr1: 0x10n, idr3: 0x400n, idr5: 0x75n };

describe('arm-smmuv3 suite rules', () => {
  it('are registered under SUITE_RULES for arm-smmuv3 on aarch64 SMMUv3 hosts', () => {
    const c = container.createChildContainer();
    register(c);
    const rules = c.resolveAll(SUITE_RULES);
    expect(rules).to.have.length(1);
    expect(rules[0]).to.include({ typeName: 'arm-smmuv3', vendor: 'arm', arch: 'aarch64' });
    expect(rules[0]!.sets.map((s) => s.name)).to.deep.equal(['virt,iommu=smmuv3', 'arm-smmuv3,accel=on']);
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
});
