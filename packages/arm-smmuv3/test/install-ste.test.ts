import 'reflect-metadata';
import { expect } from 'chai';
import {
  IOMMUFD_BACKEND_FACTORY,
  PCI_BRIDGE_ROLES,
  PCI_DEVFN,
  PROFILE_UPSTREAM,
  pciDeviceSupportsAddressSpace,
  VFIO_IOMMU_IOMMUFD,
  VIOMMU_PLUGIN,
  vfioPciRealize,
  vfioPciUnrealize,
  type FaultSpec,
  type HostModel,
  type MachineContext,
  type TraceEntry,
} from '@viommu/core';
import { register as registerIommufd } from '@viommu/iommufd';
import { wiredScenario } from '@viommu/test-vmm';
import { LINUX_GUEST_DMA_STE, register as registerArm, type SMMUv3Device } from '../src/index.js';
import { GRACE } from './host-units.js';
import { machineOf, pairs } from './helpers.js';

/** arm-003 (NVIDIA Grace, 6.16): one SMMU with `features 0x001e1fbf` (no RANGE_INV: the vSMMU needs ril=off). */
const GRACE_HOST: HostModel = {
  id: 'arm-003',
  arch: 'aarch64',
  kernel: { release: '6.16.0', cmdline: '', iommufd: true, vfioCdev: true, vfioType1: true },
  units: [GRACE.unit],
  devices: [{ bdf: '0000:01:00.0', unit: GRACE.unit.name, group: 1, driver: 'vfio-pci' }],
};

/**
 * The VM started (the device realized behind the accel vSMMU, system reset), then the guest's
 * first use of the vSMMU. `faults` name a call and its occurrence in the whole run.
 */
function boot(opts: { rootPort?: boolean; faults?: FaultSpec[] } = {}) {
  const { c, sim, kernel, trace } = wiredScenario(GRACE_HOST, PROFILE_UPSTREAM, [registerIommufd, registerArm], opts.faults);
  const plugin = c.resolveAll(VIOMMU_PLUGIN).find((p) => p.manifest.typeName === 'arm-smmuv3')!;
  const machine: MachineContext = machineOf('virt', { accel: 'kvm' });
  const vsmmu = plugin.realize({ profile: PROFILE_UPSTREAM, machine, options: pairs('primary-bus=pcie.0,accel=on,ril=off'), trace }) as SMMUv3Device;
  const backend = c.resolve(VFIO_IOMMU_IOMMUFD);
  const iommufd = c.resolve(IOMMUFD_BACKEND_FACTORY).create('fd0');
  const bus = opts.rootPort ? machine.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: machine.rootBus, devfn: PCI_DEVFN(1, 0), role: PCI_BRIDGE_ROLES['pcie-root-port'] }).secondaryBus! : machine.rootBus;
  const pdev = machine.pci.plug({ typeName: 'vfio-pci', bus, devfn: PCI_DEVFN(opts.rootPort ? 0 : 1, 0), props: { host: '0000:01:00.0', iommufd: 'fd0' } });
  pciDeviceSupportsAddressSpace(pdev);
  const dev = vfioPciRealize({ host: '0000:01:00.0', pdev, backend, iommufd, kernel, profile: PROFILE_UPSTREAM, addressSpaceMemory: machine.addressSpaceMemory, trace });
  vsmmu.machineInitDone();
  const from = trace.entries.length;
  vsmmu.guestBoot();
  const guest = trace.entries.slice(from).filter((e): e is TraceEntry => e.kind === 'call' && e.name !== 'close');
  const live = () => sim.liveObjects().map((o) => o.kind).filter((k) => !k.startsWith('fd:')).sort();
  const accel = vsmmu.accel!;
  const [slot] = accel.slots();
  return { vsmmu, accel, slot: slot!, guest, live, unrealize: () => vfioPciUnrealize(dev, PROFILE_UPSTREAM), trace };
}

const line = (e: TraceEntry) => `${e.name}${e.errno ? ` ${e.errno}` : ''}`;

describe('arm-smmuv3,accel=on: the guest installs STEs (smmuv3_accel_install_ste)', () => {
  it("a Linux guest: CFGI_ALL allocates the vDEVICE (virt_id = guest SID 0x8), then its DMA domain's STE a nested HWPT, attached", () => {
    const b = boot();
    expect(b.guest.map(line)).to.deep.equal(['IOMMU_VDEVICE_ALLOC', 'IOMMU_HWPT_ALLOC', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT']);
    const [vdev, hwpt, attach] = b.guest;
    expect(vdev!.args).to.deep.include({ dev_id: 1, virt_id: 0x8n });
    const viommuId = vdev!.args!.viommu_id;
    // the STE under STE0_MASK/STE1_MASK, IOMMU_HWPT_DATA_ARM_SMMUV3 (2), on the vIOMMU
    expect(hwpt!.args).to.deep.include({ pt_id: viommuId, flags: 0, data_type: 2 });
    expect(hwpt!.args!.data).to.deep.equal({ type: 2, ste: [0x4000100bn, 0xd6n] });
    expect(LINUX_GUEST_DMA_STE).to.deep.equal([0x4000100bn, 0xd6n]);
    expect(attach!.args!.pt_id).to.equal((hwpt!.result as { out_hwpt_id: number }).out_hwpt_id);
    expect(b.vsmmu.warnings()).to.deep.equal([]);
    expect(b.live()).to.deep.equal(['device', 'hwpt_nested', 'hwpt_nested', 'hwpt_nested', 'hwpt_paging', 'ioas', 'vdevice', 'viommu']);
  });

  it('behind a root port the guest SID is the secondary bus number the firmware gave it: 0x100', () => {
    const b = boot({ rootPort: true });
    expect(b.guest[0]!.args).to.deep.include({ virt_id: 0x100n });
  });

  it('unplug frees the stage-1 HWPT and the vDEVICE before the proxies and the vIOMMU: nothing stays', () => {
    const b = boot();
    b.unrealize();
    expect(b.live()).to.deep.equal([]);
  });

  it('IOMMU_VDEVICE_ALLOC failing at CFGI_ALL is reported ("Device 0x8: Failed to install STE", then "Failed to install all STEs properly"); CFGI_STE allocates it again', () => {
    const b = boot({ faults: [{ call: 'IOMMU_VDEVICE_ALLOC', occurrence: 1, errno: 'ENOMEM' }] });
    expect(b.guest.map(line)).to.deep.equal(['IOMMU_VDEVICE_ALLOC ENOMEM', 'IOMMU_VDEVICE_ALLOC', 'IOMMU_HWPT_ALLOC', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT']);
    expect(b.vsmmu.warnings()).to.deep.equal([
      'IOMMU_VDEVICE_ALLOC failed: Cannot allocate memory\nDevice 0x8: Failed to install STE',
      'Failed to install all STEs properly',
    ]);
  });

  it('the nested HWPT failing at CFGI_STE is reported; the device stays on the bypass proxy, the vDEVICE stays', () => {
    const b = boot({ faults: [{ call: 'IOMMU_HWPT_ALLOC', occurrence: 4, errno: 'ENOMEM' }] }) // after the nest parent and the two proxies;
    expect(b.guest.map(line)).to.deep.equal(['IOMMU_VDEVICE_ALLOC', 'IOMMU_HWPT_ALLOC ENOMEM']);
    expect(b.vsmmu.warnings()).to.deep.equal(['Failed to allocate hwpt: Cannot allocate memory']);
    expect(b.live()).to.deep.equal(['device', 'hwpt_nested', 'hwpt_nested', 'hwpt_paging', 'ioas', 'vdevice', 'viommu']);
  });

  it('the attach failing frees the new nested HWPT (IOMMU_DESTROY) and is reported', () => {
    const b = boot({ faults: [{ call: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT', occurrence: 4, errno: 'EINVAL' }] }) // after the nest parent, proxy and reset attaches;
    expect(b.guest.map(line)).to.deep.equal(['IOMMU_VDEVICE_ALLOC', 'IOMMU_HWPT_ALLOC', 'VFIO_DEVICE_ATTACH_IOMMUFD_PT EINVAL', 'IOMMU_DESTROY']);
    expect(b.vsmmu.warnings()).to.have.length(1);
    expect(b.vsmmu.warnings()[0]).to.match(/^\[iommufd=\d+\] error attach 0000:01:00\.0 \(\d+\) to id=\d+: Invalid argument$/);
    expect(b.live()).to.deep.equal(['device', 'hwpt_nested', 'hwpt_nested', 'hwpt_paging', 'ioas', 'vdevice', 'viommu']);
  });

  it('STE configs: abort/invalid → abort proxy, bypass → bypass proxy, S2 translate → "Invalid STE config for sid 0x8"; S1CDMAX (bit 63) reaches the kernel as given', () => {
    const b = boot();
    const install = (w0: bigint, w1 = 0n) => b.accel.installSte(b.slot.bus, b.slot.devfn, 0x8, { enabled: true, ste: () => [w0, w1] });
    const from = b.trace.entries.length;
    install(0n); // not valid → abort
    install(0x9n); // V | Config bypass (0b100)
    expect(() => install(0x1n | (0x6n << 1n))).to.throw('Invalid STE config for sid 0x8');
    install(0x4000100bn | (1n << 63n));
    const calls = b.trace.entries.slice(from).filter((e) => e.kind === 'call');
    const steps = b.trace.entries.slice(from).filter((e) => e.name === 'smmuv3_accel_install_ste').map((e) => e.args!.type);
    expect(steps).to.deep.equal(['abort', 'bypass', 'translate']);
    const alloc = calls.find((e) => e.name === 'IOMMU_HWPT_ALLOC')!;
    expect((alloc.args!.data as { ste: bigint[] }).ste[0]).to.equal(0x4000100bn | (1n << 63n));
    // the abort STE replaced the DMA domain's nested HWPT: destroyed after the attach
    expect(calls.map((e) => e.name)).to.deep.equal([
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
      'IOMMU_DESTROY',
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
      'IOMMU_HWPT_ALLOC',
      'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
    ]);
  });

  it("QEMU's STE0_CTXPTR (bits 6..55) is wider than the kernel's S1CTXPTR (6..51): a CD pointer above 4 PiB fails EIO in arm_smmu_validate_vste", () => {
    const b = boot();
    b.accel.cfgiSte(b.slot.bus, b.slot.devfn, 0x8, { enabled: true, ste: () => [0xbn | (1n << 53n), 0n] });
    expect(b.vsmmu.warnings()).to.deep.equal(['Failed to allocate hwpt: Input/output error']);
  });
});
