import 'reflect-metadata';
import { expect } from 'chai';
import {
  IOMMUFD_BACKEND_FACTORY,
  PCI_DEVFN,
  PROFILE_UPSTREAM,
  pciDeviceSupportsAddressSpace,
  QemuError,
  Trace,
  VFIO_IOMMU_IOMMUFD,
  VIOMMU_PLUGIN,
  vfioPciRealize,
  vfioPciUnrealize,
  type Accel,
  type HostModel,
  type MachineContext,
  type ViommuDevice,
} from '@viommu/core';
import { register as registerIntel } from '@viommu/intel-vtd';
import { register as registerIommufd } from '@viommu/iommufd';
import { wiredScenario } from '@viommu/test-vmm';
import { register as registerArm } from '../src/index.js';
import { GRACE, GRACE_2 } from './host-units.js';
import { machineOf, pairs } from './helpers.js';

/**
 * End to end through the real packages, wired as the runner wires a scenario: the simulated
 * kernel with every registered IOMMU driver and the iommufd subsystem, QEMU's iommufd backend,
 * the vIOMMU plugin found by its type name, and core's `vfioPciRealize`. Nothing below asks
 * which vendor it drives: the vendor is data (the plugin's manifest, a host, an option string).
 */
interface VendorCase {
  readonly type: string;
  readonly options: string;
  readonly accel: Accel;
  readonly kernelIrqchip?: 'on' | 'split';
  readonly host: HostModel;
  readonly bdfs: readonly string[];
}

function host(id: string, arch: HostModel['arch'], release: string, units: HostModel['units'], devices: [string, string][]): HostModel {
  return {
    id,
    arch,
    kernel: { release, cmdline: '', iommufd: true, vfioCdev: true, vfioType1: true },
    units,
    devices: devices.map(([bdf, unit], i) => ({ bdf, unit, group: i + 1, driver: 'vfio-pci' })),
  };
}

/** intel-001 (ThinkPad W520, Debian 6.12.38): `DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a` (39-bit MGAW: aw-bits=39). */
const INTEL_W520 = host('intel-001', 'x86_64', '6.12.38+deb13-amd64', [{ name: 'dmar0', vendor: 'intel', registers: { cap: 0xc0000020e60262n, ecap: 0xf0101an } }], [['0000:01:00.0', 'dmar0']]);
/** arm-003 (NVIDIA Grace, 6.16): two SMMUs with `features 0x001e1fbf`, one device behind each. */
const GRACE_HOST = host('arm-003', 'aarch64', '6.16.0', [GRACE.unit, GRACE_2.unit], [
  ['0000:01:00.0', GRACE.unit.name],
  ['0000:02:00.0', GRACE_2.unit.name],
]);

const CASES: readonly VendorCase[] = [
  { type: 'intel-iommu', options: 'caching-mode=on,aw-bits=39', accel: 'kvm', kernelIrqchip: 'split', host: INTEL_W520, bdfs: ['0000:01:00.0'] },
  { type: 'arm-smmuv3', options: 'primary-bus=pcie.0,accel=on,ril=off', accel: 'kvm', host: GRACE_HOST, bdfs: ['0000:01:00.0'] },
];

/** One scenario: child container, simulated kernel, machine with the vIOMMU realized. */
function scenario(c: VendorCase) {
  const { c: child, sim: kernel, kernel: uapi, trace } = wiredScenario(c.host, PROFILE_UPSTREAM, [registerIommufd, registerIntel, registerArm]);
  const plugin = child.resolveAll(VIOMMU_PLUGIN).find((p) => p.manifest.typeName === c.type)!;
  const machine: MachineContext = machineOf(plugin.manifest.defaultMachine, { accel: c.accel, kernelIrqchip: c.kernelIrqchip });
  const viommu: ViommuDevice = plugin.realize({ profile: PROFILE_UPSTREAM, machine, options: pairs(c.options), trace });
  const backend = child.resolve(VFIO_IOMMU_IOMMUFD);
  const iommufd = child.resolve(IOMMUFD_BACKEND_FACTORY).create('fd0');
  const realize = (bdf: string, slot: number) => {
    const pdev = machine.pci.plug({ typeName: 'vfio-pci', bus: machine.rootBus, devfn: PCI_DEVFN(slot, 0), props: { host: bdf, iommufd: 'fd0' } });
    pciDeviceSupportsAddressSpace(pdev);
    return vfioPciRealize({ host: bdf, pdev, backend, iommufd, kernel: uapi, profile: PROFILE_UPSTREAM, addressSpaceMemory: machine.addressSpaceMemory, trace });
  };
  const live = () => [...kernel.liveObjects(), ...backend.liveObjects()].map((o) => o.kind);
  return { trace, viommu, realize, backend, live };
}

const hwptFlags = (t: Trace) => t.entries.filter((e) => e.kind === 'call' && e.name === 'IOMMU_HWPT_ALLOC' && !e.errno).map((e) => e.args!.flags);

describe('one attach path for every vendor (core vfioPciRealize, real iommufd backend and kernel drivers)', () => {
  for (const c of CASES) {
    it(`${c.type} on ${c.host.id}: the device attaches, its vIOMMU holds it, unrealize leaves no kernel object`, () => {
      const s = scenario(c);
      const before = s.live().length;
      const devs = c.bdfs.map((bdf, i) => s.realize(bdf, i + 1));
      expect(s.viommu.registeredDevices()).to.equal(devs.length);
      expect(s.trace.calls()).to.include('IOMMU_HWPT_ALLOC');
      for (const d of devs) vfioPciUnrealize(d, PROFILE_UPSTREAM);
      expect(s.viommu.registeredDevices()).to.equal(0);
      expect(s.live().length).to.equal(before);
    });
  }
  it('the vIOMMU flags decide the HWPT: intel-iommu (no x-flts) a plain paging HWPT, arm-smmuv3,accel=on a NEST_PARENT, a vIOMMU and two proxy HWPTs', () => {
    const intel = scenario(CASES[0]!);
    intel.realize('0000:01:00.0', 1);
    const arm = scenario(CASES[1]!);
    arm.realize('0000:01:00.0', 1);
    expect(hwptFlags(intel.trace)).to.deep.equal([0]);
    expect(hwptFlags(arm.trace)).to.deep.equal([1, 0, 0]);
    expect(arm.trace.calls()).to.include('IOMMU_VIOMMU_ALLOC');
    expect(intel.trace.calls()).not.to.include('IOMMU_VIOMMU_ALLOC');
  });
});

describe('arm-smmuv3,accel=on end to end on Grace (features 0x001e1fbf)', () => {
  it('two devices behind two physical SMMUs under one vSMMU: VFIO gives the second its own nest parent, QEMU accepts it, the kernel refuses the GBPA proxy at reset (EINVAL) — reported, not fatal', () => {
    const s = scenario(CASES[1]!);
    s.realize('0000:01:00.0', 1);
    const from = s.trace.entries.length;
    s.realize('0000:02:00.0', 2);
    const second = s.trace.entries.slice(from).filter((e) => e.kind === 'call');
    // The shared nest parent is on SMMU .5: attaching the device behind .6 fails EINVAL, a new one is allocated.
    expect(second.some((e) => e.name === 'VFIO_DEVICE_ATTACH_IOMMUFD_PT' && e.errno === 'EINVAL')).to.equal(true);
    expect(second.filter((e) => e.name === 'IOMMU_HWPT_ALLOC' && !e.errno).map((e) => e.args!.flags)).to.deep.equal([1]);
    expect(second.map((e) => e.name)).not.to.include('IOMMU_VIOMMU_ALLOC');
    expect(s.viommu.registeredDevices()).to.equal(2);
    s.viommu.machineInitDone!({ machine: {} as MachineContext, vfioDevices: [] });
    const warnings = s.viommu.warnings!();
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.match(/Invalid argument\nFailed to attach GBPA hwpt \d+ for idev devid \d+$/);
    expect(warnings[1]).to.equal('Failed to attach all GBPA based HWPTs properly');
  });
  it('under the default ril=on Grace is refused at set_iommu_device, and nothing stays attached', () => {
    const s = scenario({ ...CASES[1]!, options: 'primary-bus=pcie.0,accel=on' });
    const before = s.live().length;
    let err: QemuError | undefined;
    try {
      s.realize('0000:01:00.0', 1);
    } catch (e) {
      err = e as QemuError;
    }
    expect(err?.message).to.equal("vfio 0000:01:00.0: Failed to set vIOMMU: Host SMMUv3 doesn't support Range Invalidation");
    expect(s.live().length).to.equal(before);
  });
});
