import { expect } from 'chai';
import fc from 'fast-check';
import {
  IOMMU_NOTIFIER_IOTLB_EVENTS,
  pciDeviceIommuAddressSpace,
  pciDeviceSupportsAddressSpace,
  PCI_BRIDGE_ROLES,
  PCI_DEVFN,
  Trace,
  vfioListenerRegister,
  ViommuFlag,
  findProfile,
  type ProfileId,
} from '@viommu/core';
import { ArmSmmuV3Plugin, SMMU_ID_REGISTERS } from '../src/index.js';
import { qemuError, realizeCtx, virtMachine } from './helpers.js';

const plugin = new ArmSmmuV3Plugin();

const device = (profile: ProfileId, options: string, machine = virtMachine({ accel: 'kvm' })) =>
  plugin.realize(realizeCtx(profile, machine, options));
const machineSmmu = (profile: ProfileId, globals: Record<string, string>) =>
  plugin.realize(realizeCtx(profile, virtMachine({ props: { iommu: 'smmuv3' }, globals: { 'arm-smmuv3': globals } }), '', true));

describe('arm-smmuv3 plugin', () => {
  it('manifest', () => {
    expect(plugin.manifest).to.deep.include({ typeName: 'arm-smmuv3', vendor: 'arm', arch: 'aarch64', qemuBinary: 'qemu-system-aarch64', defaultMachine: 'virt' });
    expect(plugin.manifest.registers).to.deep.equal(SMMU_ID_REGISTERS);
    expect(plugin.manifest.registers).to.deep.equal(['idr0', 'idr1', 'idr2', 'idr3', 'idr4', 'idr5', 'iidr', 'aidr']);
  });

  describe('profile 7.2 (messages printed by the 7.2 binary)', () => {
    it('-device arm-smmuv3 → "Parameter \'driver\' expects a pluggable device type"', () => {
      expect(qemuError(() => device('7.2', 'primary-bus=pcie.0')).message).to.equal("Parameter 'driver' expects a pluggable device type");
    });
    it('has only bus_num and primary-bus', () => {
      expect(plugin.properties('7.2').map((d) => d.name)).to.deep.equal(['bus_num', 'primary-bus']);
    });
    const globalCases: [Record<string, string>, string][] = [
      [{ stage: '2' }, "can't apply global arm-smmuv3.stage=2: Property 'arm-smmuv3.stage' not found"],
      [{ bus_num: '300' }, "can't apply global arm-smmuv3.bus_num=300: Parameter 'bus_num' expects uint8_t"],
      [{ bus_num: '-1' }, "can't apply global arm-smmuv3.bus_num=-1: Parameter 'bus_num' expects uint8_t"],
      [{ bus_num: 'abc' }, "can't apply global arm-smmuv3.bus_num=abc: Parameter 'bus_num' expects uint64"],
      [{ nosuch: '1' }, "can't apply global arm-smmuv3.nosuch=1: Property 'arm-smmuv3.nosuch' not found"],
    ];
    for (const [g, msg] of globalCases) {
      it(`-global ${Object.entries(g)[0]!.join('=')}`, () => {
        expect(qemuError(() => machineSmmu('7.2', g)).message).to.equal(msg);
      });
    }
    it('-machine virt,iommu=SMMUV3 → "Invalid iommu value" + hint; none → no SMMU; smmuv3 → one', () => {
      const e = qemuError(() => plugin.machineDevices(findProfile('7.2')!, virtMachine({ props: { iommu: 'SMMUV3' } })));
      expect([e.message, e.hint]).to.deep.equal(['Invalid iommu value', 'Valid values are none, smmuv3.']);
      expect(plugin.machineDevices(findProfile('7.2')!, virtMachine({ props: { iommu: 'none' } }))).to.deep.equal([]);
      expect(plugin.machineDevices(findProfile('7.2')!, virtMachine({ props: { iommu: 'smmuv3' } }))).to.deep.equal([[]]);
    });
    it('VFIO behind it fails at the listener: the IOMMU region refuses MAP notifiers', () => {
      const m = virtMachine({ props: { iommu: 'smmuv3' } });
      plugin.realize(realizeCtx('7.2', m, '', true));
      const pdev = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus, devfn: PCI_DEVFN(1, 0) });
      const as = pciDeviceIommuAddressSpace(pdev, m.addressSpaceMemory);
      expect(as.name).to.equal('smmuv3-iommu-memory-region-8-0');
      const err = vfioListenerRegister(as, 0x40201000n, findProfile('7.2')!, new Trace());
      expect(err?.message).to.equal(
        'memory listener initialization failed: Region smmuv3-iommu-memory-region-8-0: device 00.01.0 requires iommu MAP notifier which is not currently supported',
      );
    });
    it('region names count every per-device state of the machine: devfn, then a machine-wide index', () => {
      const m = virtMachine({ props: { iommu: 'smmuv3' } });
      const d = plugin.realize(realizeCtx('7.2', m, '', true));
      expect(d.ops!.getAddressSpace(m.rootBus, 16).name).to.equal('smmuv3-iommu-memory-region-16-0');
      expect(d.ops!.getAddressSpace(m.rootBus, 8).name).to.equal('smmuv3-iommu-memory-region-8-1');
      expect(d.ops!.getAddressSpace(m.rootBus, 16).name).to.equal('smmuv3-iommu-memory-region-16-0');
    });
    it('dev-iotlb notifiers: "SMMUv3 does not support dev-iotlb yet"', () => {
      const m = virtMachine({ props: { iommu: 'smmuv3' } });
      const d = plugin.realize(realizeCtx('7.2', m, '', true));
      expect(d.ops!.getAddressSpace(m.rootBus, 8).iommu!.notifyFlagChanged(1 << 2)?.message).to.equal('SMMUv3 does not support dev-iotlb yet');
      expect(d.ops!.getAddressSpace(m.rootBus, 8).iommu!.notifyFlagChanged(IOMMU_NOTIFIER_IOTLB_EVENTS & ~2)).to.equal(null);
    });
    it('no set_iommu_device and no get_viommu_flags before upstream accel', () => {
      const d = machineSmmu('7.2', {});
      expect(d.ops!.setIommuDevice).to.equal(undefined);
      expect(d.ops!.getViommuFlags).to.equal(undefined);
    });
  });

  describe('profile 10.0', () => {
    it('-device arm-smmuv3 is still not pluggable', () => {
      expect(qemuError(() => device('10.0', 'primary-bus=pcie.0')).message).to.equal("Parameter 'driver' expects a pluggable device type");
    });
    it('-global arm-smmuv3.accel=on → Property not found (accel is upstream only)', () => {
      expect(qemuError(() => machineSmmu('10.0', { accel: 'on' })).message).to.equal(
        "can't apply global arm-smmuv3.accel=on: Property 'arm-smmuv3.accel' not found",
      );
    });
  });

  describe('profile 10.2: -device arm-smmuv3 (virt pre-plug, smmu_base_realize)', () => {
    it('without primary-bus: "SMMU is not attached to any PCI bus!"', () => {
      expect(qemuError(() => device('10.2', '')).message).to.equal('SMMU is not attached to any PCI bus!');
    });
    it('primary-bus naming no bus: "Device \'pcie.7\' not found"', () => {
      expect(qemuError(() => device('10.2', 'primary-bus=pcie.7')).message).to.equal("Device 'pcie.7' not found");
    });
    it('beside -machine virt,iommu=smmuv3 or a virtio-iommu: incompatible iommus', () => {
      expect(qemuError(() => device('10.2', 'primary-bus=pcie.0', virtMachine({ props: { iommu: 'smmuv3' } }))).message).to.equal(
        "virt machine already has iommu=smmuv3 set. Doesn't support incompatible iommus",
      );
      const m = virtMachine();
      m.viommus.push({ typeName: 'virtio-iommu-pci' });
      expect(qemuError(() => device('10.2', 'primary-bus=pcie.0', m)).message).to.equal(
        "virt machine already has virtio-iommu set. Doesn't support incompatible iommus",
      );
    });
    it('a bus with bypass_iommu: "Bypass option cannot be set for SMMUv3 associated PCIe RC"', () => {
      expect(qemuError(() => device('10.2', 'primary-bus=pcie.0', virtMachine({ bypass: true }))).message).to.equal(
        'Bypass option cannot be set for SMMUv3 associated PCIe RC',
      );
    });
    it('one SMMU per root complex, installed per bus: a pxb-pcie bus does not inherit pcie.0\'s', () => {
      const m = virtMachine();
      const pxb = m.pci.plug({ typeName: 'pxb-pcie', id: 'pcie.1', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pxb-pcie'] });
      device('10.2', 'primary-bus=pcie.0,id=smmu0', m);
      expect(m.rootBus.iommuPerBus).to.equal(true);
      const port = m.pci.plug({ typeName: 'pcie-root-port', id: 'rp1', bus: pxb.secondaryBus!, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
      const ep = m.pci.plug({ typeName: 'vfio-pci', bus: port.secondaryBus! });
      expect(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory).name).to.equal('memory');
      device('10.2', 'primary-bus=pcie.1,id=smmu1', m);
      expect(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory).name).to.match(/^smmuv3-iommu-memory-region-0-/);
    });
  });

  describe('profile upstream: smmu_validate_property, accel rules', () => {
    const cases: [string, string][] = [
      ['ril=off', 'ril can only be disabled if accel=on'],
      ['ats=on', 'ats can only be enabled if accel=on'],
      ['oas=48', 'OAS must be 44 bits when accel=off'],
      ['ssidsize=8', 'ssidsize can only be set if accel=on'],
      ['accel=on,stage=2', 'Only stage1 is supported for SMMUv3 with accel=on'],
      ['accel=on,stage=nested', 'Only stage1 is supported for SMMUv3 with accel=on'],
      ['accel=on,oas=40', 'OAS can only be set to 44 or 48 bits'],
      ['accel=on,ssidsize=21', 'ssidsize must be in the range 0 to 20'],
    ];
    for (const [opts, msg] of cases) {
      it(`${opts} → "${msg}"`, () => {
        expect(qemuError(() => device('upstream', `primary-bus=pcie.0,${opts}`)).message).to.equal(msg);
      });
    }
    it('accel=on needs KVM with the in-kernel irqchip', () => {
      const msg = 'SMMUv3 accel=on requires KVM with kernel-irqchip=on support';
      expect(qemuError(() => device('upstream', 'primary-bus=pcie.0,accel=on', virtMachine({ accel: 'tcg' }))).message).to.equal(msg);
      expect(qemuError(() => device('upstream', 'primary-bus=pcie.0,accel=on', virtMachine({ accel: 'kvm', kernelIrqchip: 'off' }))).message).to.equal(msg);
    });
    it('primary-bus must be pcie.0 or a pxb-pcie root bus', () => {
      const m = virtMachine({ accel: 'kvm' });
      m.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
      expect(qemuError(() => device('upstream', 'primary-bus=rp0', m)).message).to.equal(
        'SMMU should be attached to a default PCIe root complex(pcie.0) or a pxb-pcie based root complex',
      );
    });
    it('accel: only vfio-pci with iommufd and bridges may sit behind it (supports_address_space)', () => {
      const m = virtMachine({ accel: 'kvm' });
      device('upstream', 'primary-bus=pcie.0,accel=on', m);
      const nic = m.pci.plug({ typeName: 'virtio-net-pci', bus: m.rootBus });
      expect(qemuError(() => pciDeviceSupportsAddressSpace(nic)).message).to.equal(
        'Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on',
      );
      const legacy = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus, props: { host: '0000:01:00.0' } });
      expect(qemuError(() => pciDeviceSupportsAddressSpace(legacy)).message).to.equal(
        'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on',
      );
      const cdev = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus, props: { host: '0000:02:00.0', iommufd: 'fd0' } });
      expect(() => pciDeviceSupportsAddressSpace(cdev)).not.to.throw();
      const port = m.pci.plug({ typeName: 'pcie-root-port', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
      expect(() => pciDeviceSupportsAddressSpace(port)).not.to.throw();
      expect(pciDeviceIommuAddressSpace(cdev, m.addressSpaceMemory)).to.include({ name: 'smmuv3-accel-as-sysmem', iommu: null });
    });
    it('every accel vSMMU of a machine gives vfio-pci the same address space (one container, one S2)', () => {
      const m = virtMachine({ accel: 'kvm' });
      const pxb = m.pci.plug({ typeName: 'pxb-pcie', id: 'pcie.1', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pxb-pcie'] });
      device('upstream', 'primary-bus=pcie.0,accel=on', m);
      device('upstream', 'primary-bus=pcie.1,accel=on', m);
      const a = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus, props: { iommufd: 'fd0' } });
      const b = m.pci.plug({ typeName: 'vfio-pci', bus: pxb.secondaryBus!, props: { iommufd: 'fd0' } });
      expect(pciDeviceIommuAddressSpace(a, m.addressSpaceMemory)).to.equal(pciDeviceIommuAddressSpace(b, m.addressSpaceMemory));
    });
    it('msi-gpa: virt puts the ITS doorbell (GITS_TRANSLATER + 0x40) there with accel', () => {
      const m = virtMachine({ accel: 'kvm' });
      const d = device('upstream', 'primary-bus=pcie.0,accel=on', m);
      expect(d.ops!.getMsiDirectGpa!(m.rootBus, 8)).to.equal(0x08090040n);
    });
  });

  describe('get_viommu_flags: a function of the vSMMU properties only', () => {
    it('accel=on → WANT_NESTING_PARENT; ssidsize > 0 adds PASID_SUPPORTED; accel=off → no op at all', () => {
      expect(device('upstream', 'primary-bus=pcie.0,accel=on').ops!.getViommuFlags!()).to.equal(ViommuFlag.WANT_NESTING_PARENT);
      expect(device('upstream', 'primary-bus=pcie.0,accel=on,ssidsize=16').ops!.getViommuFlags!()).to.equal(
        ViommuFlag.WANT_NESTING_PARENT | ViommuFlag.PASID_SUPPORTED,
      );
      expect(device('upstream', 'primary-bus=pcie.0').ops!.getViommuFlags).to.equal(undefined);
    });
    it('the installed op equals plugin.viommuFlags(props) for any property set (fast-check)', () => {
      fc.assert(
        fc.property(fc.boolean(), fc.integer({ min: 0, max: 20 }), fc.constantFrom(44, 48), fc.boolean(), (accel, ssid, oas, ats) => {
          const opts = accel ? `primary-bus=pcie.0,accel=on,ssidsize=${ssid},oas=${oas},ats=${ats ? 'on' : 'off'}` : 'primary-bus=pcie.0';
          const d = device('upstream', opts);
          const want = accel ? ViommuFlag.WANT_NESTING_PARENT | (ssid ? ViommuFlag.PASID_SUPPORTED : 0n) : 0n;
          expect(plugin.viommuFlags('upstream', d.props)).to.equal(want);
          expect(d.ops!.getViommuFlags?.() ?? 0n).to.equal(want);
        }),
        { seed: 5, numRuns: 60 },
      );
    });
    it('older profiles have no flags even with the same properties', () => {
      expect(plugin.viommuFlags('10.2', { accel: true, ssidsize: 16 })).to.equal(0n);
    });
  });
});
