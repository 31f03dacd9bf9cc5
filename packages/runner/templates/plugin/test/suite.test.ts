import type { HostModel, ProfileId, SuiteBackend } from '@viommu/core';
import { expect } from 'chai';
import { SUITE } from '../src/index.js';

/** A host with one VT-d unit of capability register `cap` and one vfio-pci device behind it. */
function host(cap: bigint, ecap = ECAP_IR): HostModel {
  return {
    id: 'test',
    arch: 'x86_64',
    kernel: { release: '6.17.0', cmdline: 'intel_iommu=on', iommufd: true, vfioCdev: true, vfioType1: true },
    units: [{ name: 'dmar0', vendor: 'intel', registers: { cap, ecap } }],
    devices: [{ bdf: '0000:01:00.0', unit: 'dmar0', group: 0, driver: 'vfio-pci' }],
  };
}

const expectOn = (cap: bigint, profile: ProfileId, backend: SuiteBackend = 'legacy', ecap = ECAP_IR) =>
  SUITE.sets[0]!.expect({ host: host(cap, ecap), bdf: '0000:01:00.0', backend, placement: 'root-bus', profile });

// CAP registers from real boot logs: "DMAR: Host address width 36" (MGAW 35 + 1), and a unit with bit 63 set (MGAW 56 + 1).
const CAP_MGAW_36 = 0xc9008020e30272n;
const CAP_BIT63 = 0xf9ed008cee780c66n;
// ECAPs from real boot logs: with interrupt remapping (ECAP.IR, bit 3; ThinkPad W520 dmar0) and without.
const ECAP_IR = 0xf0101an;
const ECAP_NO_IR = 0x1000n;

describe('__TYPE__ suite rule', () => {
  it('expects set_iommu_device to refuse aw-bits 39 on a 36-bit unit, from 10.0 on', () => {
    expect(expectOn(CAP_MGAW_36, '10.0')).to.deep.include({ ok: false, contains: 'aw-bits 39 > host aw-bits 36', stage: 'set-iommu-device' });
    expect(expectOn(CAP_MGAW_36, '7.2').ok).to.equal(true);
  });

  it('reads MGAW from a capability register with bit 63 set', () => {
    expect(expectOn(CAP_BIT63, 'upstream')).to.deep.equal({ ok: true, why: 'aw-bits 39 fits MGAW 57' });
  });

  it('expects VFIO to refuse a unit without interrupt remapping (no MSI isolation)', () => {
    expect(expectOn(CAP_BIT63, 'upstream', 'legacy', ECAP_NO_IR)).to.deep.include({ ok: false, contains: 'Failed to set iommu for container: Operation not permitted', stage: 'vfio-attach' });
    expect(expectOn(CAP_BIT63, 'upstream', 'iommufd', ECAP_NO_IR)).to.deep.include({ ok: false, contains: 'Operation not permitted', stage: 'vfio-attach' });
  });

  it('starts from the backend: no -object iommufd in QEMU 7.2', () => {
    expect(expectOn(CAP_BIT63, '7.2', 'iommufd')).to.deep.include({ ok: false, message: "Parameter 'qom-type' does not accept value 'iommufd'", stage: 'option-parse' });
  });
});
