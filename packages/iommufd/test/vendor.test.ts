import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HostIommuQuirk,
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IOMMU_HW_INFO_TYPE_INTEL_VTD,
  IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMUFD_BACKEND_FACTORY,
  KERNEL_SUBSYSTEM,
  KERNEL_UAPI,
  PCITopology,
  PROFILE_10_2,
  PROFILE_UPSTREAM,
  QEMU_PROFILE,
  SimKernel,
  TRACE,
  Trace,
  VFIO_IOMMU_IOMMUFD,
  ViommuFlag,
  createAddressSpaceMemory,
  pciSetupIommu,
  vfioPciRealize,
  type HostIOMMUDevice,
  type HostIOMMUDeviceIOMMUFD,
  type HostIommuUnit,
  type HostModel,
  type QemuProfile,
} from '@viommu/core';
import { register as registerIntel, vtdGetHostIommuQuirks } from '@viommu/intel-vtd';
import { wiredScenario } from '@viommu/test-vmm';
import { expect } from 'chai';
import 'reflect-metadata';
import { container } from 'tsyringe';
import { register } from '../src/index.js';

/** intel-099, Xeon W-1290P (shared/data/real-hosts.json): MGAW 39, no SLADS, no nesting. */
const W1290P: HostIommuUnit = { name: 'dmar0', vendor: 'intel', registers: { cap: 0xd2008c40660462n, ecap: 0xf050dan } };
/** intel-068, Dell PowerEdge R770: `cap f9ed008cee780c66 ecap 3fef9ea6f0efdf` (bit 63 set; NEST, SLADS). */
const R770: HostIommuUnit = { name: 'dmar0', vendor: 'intel', registers: { cap: 0xf9ed008cee780c66n, ecap: 0x3fef9ea6f0efdfn } };

const host = (unit: HostIommuUnit, arch: HostModel['arch'], release = '6.17.0'): HostModel => ({
  id: unit.name,
  arch,
  kernel: { release, cmdline: '', iommufd: true, vfioCdev: true, vfioType1: true },
  units: [unit],
  devices: [{ bdf: '0000:01:00.0', unit: unit.name, group: 1, driver: 'vfio-pci' }],
});

/** One scenario wired as the runner does it: a child container, every package's `register`. */
function run(h: HostModel, profile: QemuProfile, flags = 0n) {
  const { c, sim, kernel, trace } = wiredScenario(h, profile, [register, registerIntel]);
  const pci = new PCITopology();
  const root = pci.addRootBus('pcie.0', true);
  const as = { name: 'viommu-as', iommu: null };
  let hiod: HostIOMMUDevice | null = null;
  pciSetupIommu(root, {
    getAddressSpace: () => as,
    setIommuDevice: (_b, _d, h) => void (hiod = h),
    getViommuFlags: () => flags,
    getHostIommuQuirks: vtdGetHostIommuQuirks,
  });
  const backend = c.resolve(VFIO_IOMMU_IOMMUFD);
  const iommufd = c.resolve(IOMMUFD_BACKEND_FACTORY).create('iommufd0');
  const realize = () =>
    vfioPciRealize({
      host: '0000:01:00.0',
      pdev: pci.plug({ typeName: 'vfio-pci', bus: root, devfn: 8 }),
      backend,
      iommufd,
      kernel,
      profile,
      addressSpaceMemory: createAddressSpaceMemory(),
      trace,
    });
  const hwptFlags = () => trace.entries.find((e) => e.name === 'IOMMU_HWPT_ALLOC')?.args?.['flags'];
  return { c, sim, trace, backend, realize, hwptFlags, hiod: () => hiod as HostIOMMUDeviceIOMMUFD | null };
}

describe('with the real VT-d driver (@viommu/intel-vtd)', () => {
  it('register(): one backend and one subsystem per scenario container', () => {
    const a = container.createChildContainer();
    const b = container.createChildContainer();
    for (const c of [a, b]) {
      register(c);
      c.register(KERNEL_UAPI, { useValue: new SimKernel(host(W1290P, 'x86_64'), []) });
      c.register(QEMU_PROFILE, { useValue: PROFILE_UPSTREAM });
      c.register(TRACE, { useValue: new Trace() });
    }
    expect(a.resolve(VFIO_IOMMU_IOMMUFD)).to.equal(a.resolve(VFIO_IOMMU_IOMMUFD));
    expect(a.resolve(VFIO_IOMMU_IOMMUFD)).to.not.equal(b.resolve(VFIO_IOMMU_IOMMUFD));
    expect(a.resolveAll(KERNEL_SUBSYSTEM)[0]).to.not.equal(b.resolveAll(KERNEL_SUBSYSTEM)[0]);
    expect(a.resolve(IOMMUFD_BACKEND_FACTORY).create('x').id).to.equal('x');
  });

  it('VT-d W-1290P, 10.2: raw CAP/ECAP in vendor_caps, x86 MSI window and MGAW 39 in the ranges, no dirty tracking', () => {
    const s = run(host(W1290P, 'x86_64', '6.12.38+deb13-amd64'), PROFILE_10_2);
    s.realize();
    const hiod = s.hiod()!;
    expect(hiod.caps.type).to.equal(IOMMU_HW_INFO_TYPE_INTEL_VTD);
    expect(hiod.caps.vendor_caps).to.deep.equal({ type: 1, flags: IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, cap_reg: 0xd2008c40660462n, ecap_reg: 0xf050dan });
    expect(hiod.caps.hw_caps).to.equal(0n);
    expect(s.hwptFlags()).to.equal(0);
    expect(hiod.getIovaRanges()).to.deep.equal([
      { start: 0n, last: 0xfedfffffn },
      { start: 0xfef00000n, last: (1n << 39n) - 1n },
    ]);
    expect(hiod.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS)).to.equal(39);
    expect(hiod.getPageSizeMask()).to.equal(4096n);
  });

  it('VT-d R770 (CAP bit 63), upstream with x-flts: NEST_PARENT without dirty, bypass-RO quirk from the errata flag', () => {
    const s = run(host(R770, 'x86_64'), PROFILE_UPSTREAM, ViommuFlag.WANT_NESTING_PARENT);
    s.realize();
    expect(s.hwptFlags()).to.equal(IOMMU_HWPT_ALLOC_NEST_PARENT);
    expect(s.trace.entries.find((e) => e.name === 'pci_device_get_host_iommu_quirks')!.args?.['quirks']).to.equal(HostIommuQuirk.NESTING_PARENT_BYPASS_RO);
    const hiod = s.hiod()!;
    expect((hiod.caps.vendor_caps as { cap_reg: bigint }).cap_reg).to.equal(0xf9ed008cee780c66n);
    expect(hiod.caps.hw_caps & IOMMU_HW_CAP_DIRTY_TRACKING).to.equal(IOMMU_HW_CAP_DIRTY_TRACKING);
    // 10.2 on the same host: DIRTY_TRACKING, no vIOMMU flags asked.
    const old = run(host(R770, 'x86_64'), PROFILE_10_2, ViommuFlag.WANT_NESTING_PARENT);
    old.realize();
    expect(old.hwptFlags()).to.equal(IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
  });
});
