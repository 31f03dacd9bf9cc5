import { expect } from 'chai';
import {
  HostIommuQuirk,
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  PCI_BRIDGE_ROLES,
  pciDeviceGetHostIommuQuirks,
  pciDeviceSetIommuDevice,
  pciDeviceUnsetIommuDevice,
  QemuError,
  type MachineContext,
  type PCIDevice,
  type ProfileId,
} from '@viommu/core';
import { caught } from '@viommu/test-support';
import { IntelIommuPlugin, VTD_ASSIGNMENT_NEEDS_CM, VTD_REQUIRE_CACHING_MODE, type IntelIOMMUDevice } from '../src/index.js';
import { q35Machine, realizeCtx } from './helpers.js';
import { probe, TestHiod, UNITS } from './hosts.js';

const plugin = new IntelIommuPlugin();
/** QEMU's message, or `accepted`. */
const refusal = (f: () => void): string => caught(QemuError, f)?.message ?? 'accepted';

function setup(profile: ProfileId, options: string): { machine: MachineContext; viommu: IntelIOMMUDevice; vfio: PCIDevice } {
  const machine = q35Machine();
  const viommu = plugin.realize(realizeCtx(profile, machine, options));
  const port = machine.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: machine.rootBus, devfn: 0x10, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
  const vfio = machine.pci.plug({ typeName: 'vfio-pci', bus: port.secondaryBus!, devfn: 0 });
  return { machine, viommu, vfio };
}

const desktop = probe(UNITS.desktop39);
const serverNoSm = probe(UNITS.serverNoSm);
const nested = probe(UNITS.serverNested);

describe('vtd_dev_set_iommu_device / vtd_check_hiod', () => {
  it('10.0: the default aw-bits=48 does not fit a desktop unit with MGAW 39; aw-bits=39 does', () => {
    const { vfio } = setup('10.0', 'caching-mode=on');
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, new TestHiod('legacy', desktop)))).to.equal('aw-bits 48 > host aw-bits 39');
    const ok = setup('10.0', 'caching-mode=on,aw-bits=39');
    expect(refusal(() => pciDeviceSetIommuDevice(ok.vfio, new TestHiod('iommufd', desktop)))).to.equal('accepted');
    expect(ok.viommu.registeredDevices()).to.equal(1);
  });
  it('10.0 and 10.2: first stage refuses every host device, even one that could nest', () => {
    for (const p of ['10.0', '10.2'] as const) {
      const { vfio } = setup(p, 'caching-mode=on,x-scalable-mode=on,x-flts=on');
      expect(refusal(() => pciDeviceSetIommuDevice(vfio, new TestHiod('iommufd', nested)))).to.equal('host device is uncompatible with stage-1 translation');
    }
  });
  it('caching mode: 10.2+ refuse in set_iommu_device first; 10.0 leaves it to machine-init-done', () => {
    const s102 = setup('10.2', '');
    expect(refusal(() => pciDeviceSetIommuDevice(s102.vfio, new TestHiod('legacy', desktop)))).to.equal(VTD_ASSIGNMENT_NEEDS_CM);
    const s100 = setup('10.0', 'aw-bits=39');
    expect(refusal(() => pciDeviceSetIommuDevice(s100.vfio, new TestHiod('legacy', desktop)))).to.equal('accepted');
    const done = { machine: s100.machine, vfioDevices: [{ name: '0000:17:00.0', pdev: s100.vfio }] };
    expect(refusal(() => s100.viommu.machineInitDone(done))).to.equal(VTD_REQUIRE_CACHING_MODE);
    expect(refusal(() => s102.viommu.machineInitDone({ ...done, machine: s102.machine }))).to.equal('accepted');
  });
  it('7.2: no set_iommu_device at all; only the machine-init-done caching-mode check', () => {
    const { machine, viommu, vfio } = setup('7.2', '');
    expect(viommu.ops!.setIommuDevice).to.equal(undefined);
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, new TestHiod('legacy', desktop)))).to.equal('accepted');
    expect(refusal(() => viommu.machineInitDone({ machine, vfioDevices: [{ name: '0000:17:00.0', pdev: vfio }] }))).to.equal(VTD_REQUIRE_CACHING_MODE);
    expect(refusal(() => viommu.machineInitDone({ machine, vfioDevices: [] }))).to.equal('accepted');
  });
  it('one host device per (bus, devfn) until unset', () => {
    const { viommu, vfio } = setup('10.2', 'caching-mode=on');
    pciDeviceSetIommuDevice(vfio, new TestHiod('legacy', serverNoSm));
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, new TestHiod('legacy', serverNoSm)))).to.equal('Host IOMMU device already exist');
    pciDeviceUnsetIommuDevice(vfio);
    expect(viommu.registeredDevices()).to.equal(0);
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, new TestHiod('legacy', serverNoSm)))).to.equal('accepted');
  });
  it('a host device class without get_cap', () => {
    const { vfio } = setup('10.2', 'caching-mode=on');
    const hiod = new TestHiod('legacy', serverNoSm);
    hiod.getCap = undefined;
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, hiod))).to.equal('.get_cap() not implemented');
  });
});

describe('upstream vtd_check_hiod_accel (fsts=on)', () => {
  const opts = 'caching-mode=on,scalable-mode=on,fsts=on';
  it('needs the iommufd backend', () => {
    const { vfio } = setup('upstream', opts);
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, new TestHiod('legacy', nested)))).to.equal('Need IOMMUFD backend when fsts=on');
  });
  it('needs a VT-d host', () => {
    const { vfio } = setup('upstream', opts);
    const hiod = new TestHiod('iommufd', nested);
    hiod.caps = { ...hiod.caps, type: IOMMU_HW_INFO_TYPE_ARM_SMMUV3 };
    expect(refusal(() => pciDeviceSetIommuDevice(vfio, hiod))).to.equal('Incompatible host platform IOMMU type 2');
  });
  it('needs host FS1GP while fs1gp=on (R650 lacks it); fs1gp=off passes', () => {
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', opts).vfio, new TestHiod('iommufd', serverNoSm)))).to.equal(
      'First stage 1GB large page is unsupported by host IOMMU',
    );
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', `${opts},fs1gp=off`).vfio, new TestHiod('iommufd', serverNoSm)))).to.equal('accepted');
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', opts).vfio, new TestHiod('iommufd', nested)))).to.equal('accepted');
  });
  it('pasid-bits must fit the host PSS + 1 when the device has PASIDs (R770: PSS 19 → 20 bits)', () => {
    const hiod = (bits: number) => {
      const h = new TestHiod('iommufd', nested);
      h.caps = { ...h.caps, max_pasid_log2: bits };
      return h;
    };
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', `${opts},pasid-bits=21`).vfio, hiod(20)))).to.equal(
      'PASID bits size 21 > host IOMMU PASID bits size 20',
    );
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', `${opts},pasid-bits=20`).vfio, hiod(20)))).to.equal('accepted');
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', `${opts},pasid-bits=21`).vfio, hiod(0)))).to.equal('accepted');
  });
  it('refuses a device behind a PCI bridge (aliased requester id), accepts PCIe ports', () => {
    const machine = q35Machine();
    plugin.realize(realizeCtx('upstream', machine, opts));
    const bridge = machine.pci.plug({ typeName: 'pci-bridge', id: 'br0', bus: machine.rootBus, devfn: 0x18, role: PCI_BRIDGE_ROLES['pci-bridge'] });
    const dev = machine.pci.plug({ typeName: 'vfio-pci', bus: bridge.secondaryBus!, devfn: 0x8 });
    expect(refusal(() => pciDeviceSetIommuDevice(dev, new TestHiod('iommufd', nested)))).to.equal('Host device downstream to a PCI bridge is unsupported when fsts=on');
  });
  it('the aw-bits rule comes first: default 48 on the desktop unit', () => {
    expect(refusal(() => pciDeviceSetIommuDevice(setup('upstream', opts).vfio, new TestHiod('iommufd', desktop)))).to.equal('aw-bits 48 > host aw-bits 39');
  });
});

describe('get_host_iommu_quirks (upstream)', () => {
  it('BYPASS_RO from the VT-d errata flag of hw_info; nothing for a 6.6 kernel or other types', () => {
    const { vfio } = setup('upstream', '');
    const info = nested.hwInfo!({ bdf: '0000:17:00.0', unit: 'dmar0', group: 1, driver: 'vfio-pci' }, 0);
    expect(pciDeviceGetHostIommuQuirks(vfio, info.type, info.data, info.length)).to.equal(HostIommuQuirk.NESTING_PARENT_BYPASS_RO);
    expect(pciDeviceGetHostIommuQuirks(vfio, info.type, info.data, 16)).to.equal(0n);
    const old = probe(UNITS.serverNested, '6.6.0').hwInfo!({ bdf: '0000:17:00.0', unit: 'dmar0', group: 1, driver: 'vfio-pci' }, 0);
    expect(pciDeviceGetHostIommuQuirks(vfio, old.type, old.data, old.length)).to.equal(0n);
    expect(pciDeviceGetHostIommuQuirks(setup('10.2', '').vfio, info.type, info.data, info.length)).to.equal(0n);
  });
});

describe('VT-d IOMMU region notifiers (vtd_iommu_notify_flag_changed)', () => {
  it('MAP needs caching mode; snoop control refuses VFIO; errno ENOTSUP appended', () => {
    const { machine, vfio } = setup('7.2', '');
    const as = machine.rootBus.iommuOps!.getAddressSpace(vfio.bus, vfio.devfn);
    expect(as.iommu!.notifyFlagChanged(3)!.message).to.equal('device 00.00.0 requires caching mode: Operation not supported');
    expect(setup('10.0', 'caching-mode=on').machine.rootBus.iommuOps!.getAddressSpace(vfio.bus, 0).iommu!.notifyFlagChanged(3)).to.equal(null);
    const sc = setup('10.0', 'caching-mode=on,snoop-control=on');
    expect(sc.machine.rootBus.iommuOps!.getAddressSpace(sc.vfio.bus, 0).iommu!.notifyFlagChanged(1)!.message).to.equal(
      'Snoop Control with vhost or VFIO is not supported: Operation not supported',
    );
  });
});
