import 'reflect-metadata';
import { expect } from 'chai';
import { container } from 'tsyringe';
import { SUITE_RULES, type HostKernelModel, type HostModel, type ProfileId, type SuiteBackend } from '@viommu/core';
import { register, VIRTIO_IOMMU_SUITE_RULES } from '../src/index.js';

const BDF = '0000:01:00.0';

/** Real DMAR registers (the project's real-hosts data set). */
const CAP = {
  /** intel-068, Dell R770: `cap f9ed008cee780c66 ecap 3fef9ea6f0efdf` — scalable, first stage, FS1GP, bit 63 set. */
  r770: { cap: 0xf9ed008cee780c66n, ecap: 0x3fef9ea6f0efdfn },
  /** intel-067: `cap c9008020e30272 ecap 1000` — no SLLPS (bits 34–37 clear), no IR. */
  noIr: { cap: 0xc9008020e30272n, ecap: 0x1000n },
};

function host(registers: { cap: bigint; ecap: bigint }, kernel: Partial<HostKernelModel> = {}): HostModel {
  return {
    id: 'test',
    arch: 'x86_64',
    kernel: { release: '6.12.38', cmdline: 'intel_iommu=on', iommufd: true, vfioCdev: true, vfioType1: true, ...kernel },
    units: [{ name: 'dmar0', vendor: 'intel', registers }],
    devices: [{ bdf: BDF, unit: 'dmar0', group: 0, driver: 'vfio-pci' }],
  };
}

function expectOf(set: string, h: HostModel, profile: ProfileId, backend: SuiteBackend) {
  const s = VIRTIO_IOMMU_SUITE_RULES.sets.find((x) => x.name === set)!;
  return s.expect({ host: h, bdf: BDF, backend, placement: 'root-port', profile });
}

const SAFE = { params: { 'vfio_iommu_type1.allow_unsafe_interrupts': 'Y', 'iommufd.allow_unsafe_interrupts': '1' } };

describe('virtio-iommu suite rules', () => {
  it('are registered under SUITE_RULES for virtio-iommu-pci on x86_64 VT-d hosts', () => {
    const c = container.createChildContainer();
    register(c);
    const [rules, ...more] = c.resolveAll(SUITE_RULES);
    expect(more).to.have.length(0);
    expect(rules).to.deep.include({ typeName: 'virtio-iommu-pci', vendor: 'virtio', arch: 'x86_64', hostVendors: ['intel'] });
    expect(rules!.sets.map((s) => s.vmArgs('10.0').at(-1))).to.deep.equal([
      'virtio-iommu-pci',
      'virtio-iommu-pci,granule=4k',
      'virtio-iommu-pci,granule=64k',
      'virtio-iommu-pci,aw-bits=31',
      'virtio-iommu-pci',
    ]);
  });

  it('granule=64k: iommufd aligns to 4K and is refused; legacy type1 shares 2M/1G on the R770 (CAP bit 63 set)', () => {
    const h = host(CAP.r770);
    expect(expectOf('granule=64k', h, '10.0', 'iommufd')).to.deep.include({
      ok: false,
      message: `vfio ${BDF}: Failed to set vIOMMU: ${BDF}: virtio-iommu reports a page size mask 0x1000 incompatible with currently supported mask 0xffffffffffff0000`,
      stage: 'set-iommu-device',
    });
    expect(expectOf('granule=64k', h, 'upstream', 'legacy')).to.include({ ok: true });
    expect(expectOf('granule=4k', h, '10.2', 'iommufd')).to.include({ ok: true });
  });

  it('granule=64k on legacy type1 without super pages (SLLPS 0): the host mask is 4K only', () => {
    expect(expectOf('granule=64k', host(CAP.noIr, SAFE), '10.0', 'legacy')).to.deep.include({
      ok: false,
      message: `vfio ${BDF}: Failed to set vIOMMU: ${BDF}: virtio-iommu reports a page size mask 0x1000 incompatible with currently supported mask 0xffffffffffff0000`,
    });
  });

  it('7.2 has no granule or aw-bits (QEMU 7.2 run); aw-bits=31 fails realize from 9.0 (QEMU 10.0 run), before any VFIO attach', () => {
    const h = host(CAP.noIr);
    expect(expectOf('granule=4k', h, '7.2', 'legacy')).to.deep.include({ ok: false, message: "Property 'virtio-iommu-pci.granule' not found", stage: 'option-parse' });
    expect(expectOf('aw-bits=31', h, '7.2', 'legacy')).to.deep.include({ ok: false, message: "Property 'virtio-iommu-pci.aw-bits' not found" });
    expect(expectOf('aw-bits=31', h, '10.0', 'legacy')).to.deep.include({ ok: false, message: 'aw-bits must be within [32,64]', stage: 'realize' });
    expect(expectOf('aw-bits=31', h, '10.0', 'iommufd')).to.deep.include({ ok: false, message: 'aw-bits must be within [32,64]', stage: 'realize' });
    expect(expectOf('aw-bits=31', h, '7.2', 'iommufd')).to.deep.include({ message: "Parameter 'qom-type' does not accept value 'iommufd'" });
  });

  it('a second vIOMMU next to intel-iommu is refused in every profile (QEMU 7.2 and 10.0 runs)', () => {
    for (const p of ['7.2', '10.0', '10.2', 'upstream'] as const) {
      expect(expectOf('+intel-iommu', host(CAP.r770), p, 'legacy')).to.deep.include({ ok: false, message: 'QEMU does not support multiple vIOMMUs for x86 yet.', stage: 'realize' });
    }
  });

  it('no interrupt remapping (ECAP.IR clear, or intremap=off): attach is EPERM unless allow_unsafe_interrupts', () => {
    expect(expectOf('default', host(CAP.noIr), '10.0', 'legacy')).to.deep.include({ ok: false, contains: 'Failed to set iommu for container: Operation not permitted', stage: 'vfio-attach' });
    expect(expectOf('default', host(CAP.noIr), '10.0', 'iommufd')).to.deep.include({ ok: false, contains: 'Operation not permitted', stage: 'vfio-attach' });
    expect(expectOf('default', host(CAP.r770, { cmdline: 'intel_iommu=on intremap=off' }), '10.0', 'legacy')).to.include({ ok: false });
    expect(expectOf('default', host(CAP.noIr, SAFE), '10.0', 'legacy')).to.include({ ok: true });
    expect(expectOf('default', host(CAP.r770), '7.2', 'legacy')).to.include({ ok: true });
  });
});
