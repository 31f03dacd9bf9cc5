import 'reflect-metadata';
import { expect } from 'chai';
import { container } from 'tsyringe';
import { SUITE_RULES, type HostIommuUnit, type HostModel, type ProfileId, type SuiteBackend, type SuitePlacement } from '@viommu/core';
import { INTEL_SUITE_RULES, register } from '../src/index.js';
import { DEV, UNITS } from './hosts.js';

function host(unit: HostIommuUnit, cmdline = 'intel_iommu=on'): HostModel {
  return {
    id: 'test',
    arch: 'x86_64',
    kernel: { release: '6.12.38', cmdline, iommufd: true, vfioCdev: true, vfioType1: true },
    units: [{ ...unit, name: DEV.unit }],
    devices: [DEV],
  };
}

function expectOf(set: string, h: HostModel, profile: ProfileId, backend: SuiteBackend = 'iommufd', placement: SuitePlacement = 'root-port') {
  const s = INTEL_SUITE_RULES.sets.find((x) => x.name === set)!;
  return s.expect({ host: h, bdf: DEV.bdf, backend, placement, profile });
}

const failSet = (text: string) => `vfio ${DEV.bdf}: Failed to set vIOMMU: ${text}`;

describe('intel-iommu suite rules', () => {
  it('are registered under SUITE_RULES for intel-iommu on x86_64 VT-d hosts', () => {
    const c = container.createChildContainer();
    register(c);
    const rules = c.resolveAll(SUITE_RULES);
    expect(rules).to.have.length(1);
    expect(rules[0]).to.include({ typeName: 'intel-iommu', vendor: 'intel', arch: 'x86_64' });
    expect(rules[0]!.sets.map((s) => s.name)).to.deep.equal(['caching-mode', 'aw-bits=39', 'flts']);
  });

  it('MGAW 39 (ThinkPad W520): the default aw-bits 48 of 10.0+ is refused by vtd_check_hiod, 7.2 (39, no HostIOMMUDevice) starts', () => {
    const h = host(UNITS.desktop39);
    for (const b of ['legacy', 'iommufd'] as const) {
      expect(expectOf('caching-mode', h, '10.0', b)).to.deep.include({ ok: false, message: failSet('aw-bits 48 > host aw-bits 39'), stage: 'set-iommu-device' });
      expect(expectOf('aw-bits=39', h, '10.2', b)).to.include({ ok: true });
    }
    expect(expectOf('caching-mode', h, '7.2', 'legacy')).to.include({ ok: true });
  });

  it('the backend comes first: no -object iommufd in 7.2, no x-flts property either', () => {
    const h = host(UNITS.serverNested);
    expect(expectOf('caching-mode', h, '7.2')).to.deep.include({ ok: false, message: "Parameter 'qom-type' does not accept value 'iommufd'", stage: 'option-parse' });
    expect(expectOf('flts', h, '7.2', 'legacy')).to.deep.include({ ok: false, message: "Property 'intel-iommu.x-flts' not found", stage: 'option-parse' });
  });

  it('fsts=on upstream on a NEST+FS1GP host whose CAP has bit 63 set (R770): root port starts, bridges, legacy VFIO refused', () => {
    const h = host(UNITS.serverNested);
    expect(UNITS.serverNested.registers.cap >> 63n).to.equal(1n);
    expect(expectOf('flts', h, 'upstream', 'iommufd', 'root-port')).to.include({ ok: true });
    expect(expectOf('flts', h, 'upstream', 'iommufd', 'root-bus')).to.include({ ok: true });
    for (const p of ['pci-bridge', 'pcie-pci-bridge'] as const) {
      expect(expectOf('flts', h, 'upstream', 'iommufd', p)).to.deep.include({ ok: false, message: failSet('Host device downstream to a PCI bridge is unsupported when fsts=on') });
    }
    expect(expectOf('flts', h, 'upstream', 'legacy')).to.deep.include({ ok: false, message: failSet('Need IOMMUFD backend when fsts=on') });
    expect(expectOf('flts', h, '10.2', 'iommufd')).to.deep.include({ ok: false, message: failSet('host device is uncompatible with stage-1 translation') });
  });

  it('fsts=on upstream without scalable-mode nesting (R650, or sm_off) fails at attach, not in QEMU', () => {
    expect(expectOf('flts', host(UNITS.serverNoSm), 'upstream')).to.include({ ok: false, stage: 'vfio-attach' });
    expect(expectOf('flts', host(UNITS.serverNested, 'intel_iommu=on,sm_off'), 'upstream')).to.include({ ok: false, stage: 'vfio-attach' });
  });

  it('no interrupt remapping (intel-067: ECAP 0x1000, IR clear; or intremap=off): VFIO attach is EPERM unless allow_unsafe_interrupts', () => {
    const noIr: HostIommuUnit = { name: 'dmar0', vendor: 'intel', registers: { cap: 0xc9008020e30272n, ecap: 0x1000n } };
    expect(expectOf('aw-bits=39', host(noIr), '7.2', 'legacy')).to.deep.include({ ok: false, contains: 'Failed to set iommu for container: Operation not permitted', stage: 'vfio-attach' });
    expect(expectOf('aw-bits=39', host(noIr), '10.0', 'iommufd')).to.deep.include({ ok: false, contains: 'Operation not permitted', stage: 'vfio-attach' });
    expect(expectOf('aw-bits=39', host(UNITS.serverNested, 'intel_iommu=on nointremap'), '10.0', 'legacy')).to.include({ ok: false, stage: 'vfio-attach' });
    const unsafe = { ...host(noIr), kernel: { ...host(noIr).kernel, params: { 'vfio_iommu_type1.allow_unsafe_interrupts': 'Y' } } };
    expect(expectOf('aw-bits=39', unsafe, '7.2', 'legacy')).to.include({ ok: true });
    expect(expectOf('aw-bits=39', unsafe, '10.0', 'legacy')).to.deep.include({ ok: false, message: 'vfio 0000:17:00.0: Failed to set vIOMMU: aw-bits 39 > host aw-bits 36' });
    expect(expectOf('aw-bits=39', unsafe, '10.0', 'iommufd')).to.include({ ok: false, stage: 'vfio-attach' });
  });
});
