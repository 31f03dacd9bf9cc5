import { expect } from 'chai';
import {
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  kernelFeatures,
  PCI_BRIDGE_ROLES,
  PCI_DEVFN,
  pciDeviceSetIommuDevice,
  pciDeviceUnsetIommuDevice,
  QemuError,
  type HostIommuUnit,
  type HostPciDevice,
  type IommuInstance,
  type MachineContext,
} from '@viommu/core';
import { ArmSmmuV3Driver, ArmSmmuV3Plugin, smmuv3AccelHwCompatible, type SMMUv3Device } from '../src/index.js';
import { FakeIommufd, type FakeHiod } from './fake-iommufd.js';
import { qemuError, realizeCtx, virtMachine } from './helpers.js';
import { GRACE, GRACE_2, regUnit, RK3588, THUNDERX2 } from './host-units.js';

const plugin = new ArmSmmuV3Plugin();
const driver = new ArmSmmuV3Driver();
const smmu = (unit: HostIommuUnit, release = '6.18.0') => driver.probe(unit, kernelFeatures(release), '');
const hostDev = (unit: HostIommuUnit, bdf = '0000:01:00.0'): HostPciDevice => ({ bdf, unit: unit.name, group: 1, driver: 'vfio-pci' });

/** A compatible host SMMU as registers: 2-level ST, LE, AArch64, SIDSIZE 16, SSIDSIZE 20, RIL, OAS 48, all granules. */
const COMPAT = { idr0: 0x084c349bn, idr1: 0x02739d10n, idr2: 0n, idr3: 0x1500n, idr4: 0n, idr5: 0x75n, iidr: 0n, aidr: 0x2n };

interface Setup {
  machine: MachineContext;
  vsmmu: SMMUv3Device;
  fd: FakeIommufd;
  plugAt: (slot: number, instance: IommuInstance, unit: HostIommuUnit, bdf: string, parent?: number) => { hiod: FakeHiod; pdev: ReturnType<MachineContext['pci']['plug']> };
}

/** Grace's SMMUs print no RANGE_INV (features 0x001e1fbf): the vSMMU needs `ril=off` for them. */
function setup(options = 'ril=off'): Setup {
  const machine = virtMachine({ accel: 'kvm' });
  const vsmmu = plugin.realize(realizeCtx('upstream', machine, `primary-bus=pcie.0,accel=on${options ? `,${options}` : ''}`));
  const fd = new FakeIommufd();
  return {
    machine,
    vsmmu,
    fd,
    plugAt(slot, instance, unit, bdf, parent) {
      const pdev = machine.pci.plug({ typeName: 'vfio-pci', bus: machine.rootBus, devfn: PCI_DEVFN(slot, 0), props: { host: bdf, iommufd: 'fd0' } });
      return { hiod: fd.add(hostDev(unit, bdf), instance, parent), pdev };
    },
  };
}

describe('arm-smmuv3,accel=on: set_iommu_device', () => {
  it('a compatible host: vIOMMU on the device\'s nest parent, abort (STE V) and bypass (V|CFG_BYPASS) proxies, device onto bypass (GBPA.ABORT = 0)', () => {
    const s = setup();
    const grace = smmu(GRACE.unit);
    const { hiod, pdev } = s.plugAt(1, grace, GRACE.unit, '0000:01:00.0');
    pciDeviceSetIommuDevice(pdev, hiod);
    expect(s.fd.calls).to.deep.equal([
      'IOMMU_GET_HW_INFO',
      'IOMMU_VIOMMU_ALLOC',
      'IOMMU_HWPT_ALLOC pt_id=2 ste0=1',
      'IOMMU_HWPT_ALLOC pt_id=2 ste0=9',
      'ATTACH 0000:01:00.0 → 4',
    ]);
    expect(s.vsmmu.registeredDevices()).to.equal(1);
    pciDeviceUnsetIommuDevice(pdev);
    expect(s.fd.calls.slice(5)).to.deep.equal(['ATTACH 0000:01:00.0 → 1', 'IOMMU_DESTROY 4', 'IOMMU_DESTROY 3', 'IOMMU_DESTROY 2']);
    expect([...s.fd.objects.keys()]).to.deep.equal([1]);
    expect(s.vsmmu.registeredDevices()).to.equal(0);
  });

  it('the same hiod again is accepted; another one at that devfn: "Device already has an associated idev 0x2"', () => {
    const s = setup();
    const grace = smmu(GRACE.unit);
    const { hiod, pdev } = s.plugAt(1, grace, GRACE.unit, '0000:01:00.0');
    pciDeviceSetIommuDevice(pdev, hiod);
    pciDeviceSetIommuDevice(pdev, hiod);
    const other = s.fd.add(hostDev(GRACE.unit, '0000:01:00.1'), grace);
    expect(qemuError(() => pciDeviceSetIommuDevice(pdev, other)).message).to.equal('Device already has an associated idev 0x2');
  });

  describe('host SMMU against the vSMMU (smmuv3_accel_hw_compatible), each field with QEMU\'s message', () => {
    const refuse = (unit: HostIommuUnit, options = '') => {
      const s = setup(options);
      const { hiod, pdev } = s.plugAt(1, smmu(unit), unit, '0000:01:00.0');
      const e = qemuError(() => pciDeviceSetIommuDevice(pdev, hiod));
      expect(s.fd.calls).to.deep.equal(['IOMMU_GET_HW_INFO']);
      return e.message;
    };
    it('linear stream table (IDR0.ST_LEVEL 0)', () => {
      expect(refuse(regUnit('lin', { ...COMPAT, idr0: COMPAT.idr0 & ~(3n << 27n) }))).to.equal(
        'Host SMMUv3 Stream Table format mismatch (host STLEVEL=0, QEMU STLEVEL=1)',
      );
    });
    it('SIDSIZE 8 < 16', () => {
      expect(refuse(regUnit('sid8', { ...COMPAT, idr1: (COMPAT.idr1 & ~0x3fn) | 8n }))).to.equal('Host SMMUv3 SIDSIZE not compatible (host=8, QEMU=16)');
    });
    it('SSIDSIZE host 10 < ssidsize=16', () => {
      expect(refuse(regUnit('ssid10', { ...COMPAT, idr1: (COMPAT.idr1 & ~(0x1fn << 6n)) | (10n << 6n) }), 'ssidsize=16')).to.equal(
        'Host SMMUv3 SSIDSIZE not compatible (host=10, QEMU=16)',
      );
    });
    it('ThunderX2 (features 0x0000170d: no RANGE_INV) under the default ril=on', () => {
      expect(refuse(THUNDERX2.unit)).to.equal("Host SMMUv3 doesn't support Range Invalidation");
    });
    it('ThunderX2 (oas 44-bit) under oas=48 with ril=off', () => {
      expect(refuse(THUNDERX2.unit, 'ril=off,oas=48')).to.equal('Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA');
    });
    for (const [bit, size] of [[4n, '4K'], [5n, '16K'], [6n, '64K']] as const) {
      it(`no ${size} granule`, () => {
        expect(refuse(regUnit(`g${size}`, { ...COMPAT, idr5: COMPAT.idr5 & ~(1n << bit) }))).to.equal(`Host SMMUv3 doesn't support ${size} translation granule`);
      });
    }
    it('Grace (features 0x001e1fbf: no RANGE_INV) under the default ril=on — QEMU\'s reason for the ril property', () => {
      expect(refuse(GRACE.unit)).to.equal("Host SMMUv3 doesn't support Range Invalidation");
    });
    it('big-endian-only or AArch32-only tables (a Linux LE host never binds those SMMUs; the check as QEMU has it)', () => {
      const info = (idr0: bigint) => ({
        out_data_type: IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
        data_len: 40,
        data: { type: IOMMU_HW_INFO_TYPE_ARM_SMMUV3, flags: 0, idr: [idr0, COMPAT.idr1, 0n, COMPAT.idr3, 0n, COMPAT.idr5], iidr: 0n, aidr: 0n } as const,
        out_capabilities: 0n,
        out_max_pasid_log2: 0,
      });
      const regs = setup().vsmmu.idRegs;
      expect(qemuError(() => smmuv3AccelHwCompatible(info(COMPAT.idr0 | (3n << 21n)), regs)).message).to.equal(
        "Host SMMUv3 doesn't support Little-endian translation table",
      );
      expect(qemuError(() => smmuv3AccelHwCompatible(info((COMPAT.idr0 & ~(3n << 2n)) | (1n << 2n)), regs)).message).to.equal(
        "Host SMMUv3 doesn't support AArch64 translation table format",
      );
      expect(() => smmuv3AccelHwCompatible(info(COMPAT.idr0 & ~(3n << 21n)), regs)).not.to.throw();
      // A kernel before 6.14 has no SMMUv3 hw_info (type NONE); VFIO's NEST_PARENT allocation fails even earlier there.
      expect(qemuError(() => smmuv3AccelHwCompatible({ ...info(0n), out_data_type: 0, data: null }, regs)).message).to.equal(
        'Wrong data type (0) for Host SMMUv3 device info',
      );
    });
  });

  it('RK3588 (not coherent, no S2FWB): IOMMU_VIOMMU_ALLOC EOPNOTSUPP, hint "Unable to alloc vIOMMU", nothing left behind', () => {
    const s = setup('ril=off');
    const { hiod, pdev } = s.plugAt(1, smmu(RK3588.unit), RK3588.unit, '0000:01:00.0');
    const e = qemuError(() => pciDeviceSetIommuDevice(pdev, hiod));
    expect([e.message, e.hint, e.errno]).to.deep.equal([
      'IOMMU_VIOMMU_ALLOC failed: Operation not supported',
      'Unable to alloc vIOMMU: idev devid 0x1: ',
      'EOPNOTSUPP',
    ]);
    expect([...s.fd.objects.keys()]).to.deep.equal([1]);
    expect(s.vsmmu.registeredDevices()).to.equal(0);
  });

  it('a failing bypass proxy undoes the abort proxy and the vIOMMU', () => {
    const s = setup();
    const grace = smmu(GRACE.unit);
    const { hiod, pdev } = s.plugAt(1, grace, GRACE.unit, '0000:01:00.0');
    const real = s.fd.allocHwpt.bind(s.fd);
    let n = 0;
    s.fd.allocHwpt = (...a) => (++n === 2 ? (() => { throw QemuError.withErrno('Failed to allocate hwpt', 'ENOMEM', 'set-iommu-device'); })() : real(...a));
    expect(qemuError(() => pciDeviceSetIommuDevice(pdev, hiod)).message).to.equal('Failed to allocate hwpt: Cannot allocate memory');
    expect([...s.fd.objects.keys()]).to.deep.equal([1]);
  });

  describe('two devices behind two different physical SMMUs under one vSMMU', () => {
    // Grace arm-smmu-v3.5 and .6: identical IDRs, different instances. VFIO gives each device a
    // nest parent on its own SMMU (the shared one is refused with EINVAL, a new one allocated).
    const twoSmmus = () => {
      const s = setup();
      const a = smmu(GRACE.unit);
      const b = smmu(GRACE_2.unit);
      const d1 = s.plugAt(1, a, GRACE.unit, '0000:01:00.0');
      const d2 = s.plugAt(2, b, GRACE_2.unit, '0000:02:00.0');
      return { s, d1, d2 };
    };
    it('QEMU accepts both at set_iommu_device (same IDRs, vIOMMU already there: no check of the physical SMMU)', () => {
      const { s, d1, d2 } = twoSmmus();
      pciDeviceSetIommuDevice(d1.pdev, d1.hiod);
      pciDeviceSetIommuDevice(d2.pdev, d2.hiod);
      expect(s.vsmmu.registeredDevices()).to.equal(2);
      expect(s.fd.calls.filter((c) => c.startsWith('IOMMU_VIOMMU_ALLOC'))).to.have.length(1);
    });
    it('the kernel refuses at system reset: the GBPA bypass proxy (nested on SMMU A) onto the device behind SMMU B → EINVAL; QEMU reports it and boots', () => {
      const { s, d1, d2 } = twoSmmus();
      pciDeviceSetIommuDevice(d1.pdev, d1.hiod);
      pciDeviceSetIommuDevice(d2.pdev, d2.hiod);
      s.vsmmu.machineInitDone();
      expect(s.vsmmu.warnings()).to.deep.equal([
        '[iommufd=3] error attach 0000:02:00.0 (22) to id=5: Invalid argument\nFailed to attach GBPA hwpt 5 for idev devid 2',
        'Failed to attach all GBPA based HWPTs properly',
      ]);
    });
    it('the documented topology — one accel vSMMU per host SMMU, each on its own root complex — has no warning', () => {
      const machine = virtMachine({ accel: 'kvm' });
      const pxb = machine.pci.plug({ typeName: 'pxb-pcie', id: 'pcie.1', bus: machine.rootBus, role: PCI_BRIDGE_ROLES['pxb-pcie'] });
      const v0 = plugin.realize(realizeCtx('upstream', machine, 'primary-bus=pcie.0,accel=on,ril=off'));
      const v1 = plugin.realize(realizeCtx('upstream', machine, 'primary-bus=pcie.1,accel=on,ril=off'));
      const fd = new FakeIommufd();
      const a = smmu(GRACE.unit);
      const b = smmu(GRACE_2.unit);
      const p0 = machine.pci.plug({ typeName: 'vfio-pci', bus: machine.rootBus, props: { iommufd: 'fd0' } });
      const p1 = machine.pci.plug({ typeName: 'vfio-pci', bus: pxb.secondaryBus!, props: { iommufd: 'fd0' } });
      pciDeviceSetIommuDevice(p0, fd.add(hostDev(GRACE.unit, '0000:01:00.0'), a));
      pciDeviceSetIommuDevice(p1, fd.add(hostDev(GRACE_2.unit, '0000:02:00.0'), b));
      v0.machineInitDone();
      v1.machineInitDone();
      expect([v0.registeredDevices(), v1.registeredDevices(), v0.warnings().length, v1.warnings().length]).to.deep.equal([1, 1, 0, 0]);
      expect(fd.calls.filter((c) => c === 'IOMMU_VIOMMU_ALLOC')).to.have.length(2);
    });
  });
});
