import { expect } from 'chai';
import {
  HostIOMMUDevice,
  PCI_BRIDGE_ROLES,
  PCI_DEVFN,
  PCITopology,
  QemuError,
  createAddressSpaceMemory,
  formatBdf,
  parseBdf,
  pciDeviceGetIommuBusDevfn,
  pciDeviceGetViommuFlags,
  pciDeviceIommuAddressSpace,
  pciDeviceSetIommuDevice,
  pciSetupIommu,
  viommuFlagsOp,
  type IovaRange,
  type PCIBus,
  type PCIIOMMUOps,
} from '../src/index.js';

function q35() {
  const t = new PCITopology();
  const root = t.addRootBus('pcie.0', true);
  return { t, root };
}
const asOps = (): PCIIOMMUOps => ({ getAddressSpace: (bus: PCIBus, devfn: number) => ({ name: `vtd-${bus.name}-${devfn}`, iommu: null }) });

// Expected (bus, devfn): qemu-intel-iommu.md §5.1 table (hw/pci/pci.c pci_device_get_iommu_bus_devfn).
describe('pci_device_get_iommu_bus_devfn aliasing', () => {
  it('device on the root bus: own (bus, devfn), not aliased', () => {
    const { t, root } = q35();
    pciSetupIommu(root, asOps());
    const d = t.plug({ typeName: 'vfio-pci', bus: root, devfn: PCI_DEVFN(3, 0) });
    const r = pciDeviceGetIommuBusDevfn(d);
    expect(r.iommuBus).to.equal(root);
    expect([r.aliasedBus.name, r.aliasedDevfn, r.aliased]).to.deep.equal(['pcie.0', 0x18, false]);
  });
  it('behind a PCIe root port: port secondary bus, own devfn', () => {
    const { t, root } = q35();
    pciSetupIommu(root, asOps());
    const rp = t.plug({ typeName: 'pcie-root-port', id: 'rp1', bus: root, devfn: PCI_DEVFN(1, 0), role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    const d = t.plug({ typeName: 'vfio-pci', bus: rp.secondaryBus!, devfn: 0 });
    const r = pciDeviceGetIommuBusDevfn(d);
    expect([r.aliasedBus.name, r.aliasedDevfn, r.aliased, r.iommuBus?.name]).to.deep.equal(['rp1', 0, false, 'pcie.0']);
  });
  it('behind a PCIe-to-PCI bridge: (bridge secondary bus, 00.0), aliased', () => {
    const { t, root } = q35();
    pciSetupIommu(root, asOps());
    const rp = t.plug({ typeName: 'pcie-root-port', id: 'rp1', bus: root, devfn: PCI_DEVFN(1, 0), role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    const br = t.plug({ typeName: 'pcie-pci-bridge', id: 'br1', bus: rp.secondaryBus!, devfn: 0, role: PCI_BRIDGE_ROLES['pcie-pci-bridge'] });
    const d = t.plug({ typeName: 'vfio-pci', bus: br.secondaryBus!, devfn: PCI_DEVFN(5, 0) });
    const r = pciDeviceGetIommuBusDevfn(d);
    expect([r.aliasedBus.name, r.aliasedDevfn, r.aliased]).to.deep.equal(['br1', 0, true]);
  });
  it('behind a conventional pci-bridge under that PCIe-to-PCI bridge: still (br1, 00.0)', () => {
    const { t, root } = q35();
    pciSetupIommu(root, asOps());
    const rp = t.plug({ typeName: 'pcie-root-port', id: 'rp1', bus: root, devfn: PCI_DEVFN(1, 0), role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    const br = t.plug({ typeName: 'pcie-pci-bridge', id: 'br1', bus: rp.secondaryBus!, devfn: 0, role: PCI_BRIDGE_ROLES['pcie-pci-bridge'] });
    const pb = t.plug({ typeName: 'pci-bridge', id: 'pb1', bus: br.secondaryBus!, devfn: PCI_DEVFN(2, 0), role: PCI_BRIDGE_ROLES['pci-bridge'] });
    const d = t.plug({ typeName: 'vfio-pci', bus: pb.secondaryBus!, devfn: PCI_DEVFN(7, 0) });
    const r = pciDeviceGetIommuBusDevfn(d);
    expect([r.aliasedBus.name, r.aliasedDevfn, r.aliased]).to.deep.equal(['br1', 0, true]);
  });
  it('behind a pci-bridge plugged into pcie.0: (pcie.0, bridge devfn)', () => {
    const { t, root } = q35();
    pciSetupIommu(root, asOps());
    const pb = t.plug({ typeName: 'pci-bridge', id: 'pb1', bus: root, devfn: PCI_DEVFN(4, 0), role: PCI_BRIDGE_ROLES['pci-bridge'] });
    const d = t.plug({ typeName: 'vfio-pci', bus: pb.secondaryBus!, devfn: PCI_DEVFN(1, 0) });
    const r = pciDeviceGetIommuBusDevfn(d);
    expect([r.aliasedBus.name, r.aliasedDevfn, r.aliased]).to.deep.equal(['pcie.0', 0x20, true]);
    expect(pciDeviceIommuAddressSpace(d, createAddressSpaceMemory()).name).to.equal('vtd-pcie.0-32');
  });
  it('no vIOMMU, or a bypassed host bridge: no IOMMU bus, address_space_memory', () => {
    const t = new PCITopology();
    const root = t.addRootBus('pcie.0', true, true);
    pciSetupIommu(root, asOps());
    const d = t.plug({ typeName: 'vfio-pci', bus: root });
    expect(pciDeviceGetIommuBusDevfn(d).iommuBus).to.equal(null);
    expect(pciDeviceIommuAddressSpace(d, createAddressSpaceMemory()).name).to.equal('memory');
  });
});

class FakeHiod extends HostIOMMUDevice {
  readonly typeName = 'host-iommu-device-legacy-vfio';
  readonly typeAncestors = ['host-iommu-device-legacy-vfio', 'host-iommu-device'];
  readonly getCap = undefined;
  realize(): void {}
  getIovaRanges(): IovaRange[] {
    return [];
  }
  getPageSizeMask(): bigint {
    return 0x1000n;
  }
}

describe('pci_device_* helpers', () => {
  it('get_viommu_flags is 0 when the vIOMMU has no callback, or there is no vIOMMU', () => {
    const { t, root } = q35();
    const d = t.plug({ typeName: 'vfio-pci', bus: root });
    expect(pciDeviceGetViommuFlags(d)).to.equal(0n);
    pciSetupIommu(root, asOps());
    expect(pciDeviceGetViommuFlags(d)).to.equal(0n);
  });
  it('get_viommu_flags reads the frozen properties only', () => {
    const { t, root } = q35();
    const props = { 'x-flts': true };
    pciSetupIommu(root, { ...asOps(), getViommuFlags: viommuFlagsOp((p: typeof props) => (p['x-flts'] ? 1n : 0n), props) });
    props['x-flts'] = false; // later mutation of the caller's object cannot change the answer
    expect(pciDeviceGetViommuFlags(t.plug({ typeName: 'vfio-pci', bus: root }))).to.equal(1n);
  });
  it('set_iommu_device passes the own (bus, devfn) and stores the alias in the hiod', () => {
    const { t, root } = q35();
    const seen: [string, number][] = [];
    pciSetupIommu(root, { ...asOps(), setIommuDevice: (bus, devfn) => void seen.push([bus.name, devfn]) });
    const pb = t.plug({ typeName: 'pci-bridge', id: 'pb1', bus: root, devfn: PCI_DEVFN(4, 0), role: PCI_BRIDGE_ROLES['pci-bridge'] });
    const d = t.plug({ typeName: 'vfio-pci', bus: pb.secondaryBus!, devfn: PCI_DEVFN(1, 0) });
    const hiod = new FakeHiod();
    pciDeviceSetIommuDevice(d, hiod);
    expect(seen).to.deep.equal([['pb1', 8]]);
    expect([hiod.aliasedBus?.name, hiod.aliasedDevfn]).to.deep.equal(['pcie.0', 0x20]);
  });
  it('slot conflicts and root-port slot rules give QEMU\'s messages', () => {
    const { t, root } = q35();
    t.plug({ typeName: 'vfio-pci', id: 'a', bus: root, devfn: PCI_DEVFN(3, 0) });
    expect(() => t.plug({ typeName: 'vfio-pci', bus: root, devfn: PCI_DEVFN(3, 0) })).to.throw(QemuError, 'PCI: slot 3 function 0 not available for vfio-pci, in use by vfio-pci,id=a');
    t.plug({ typeName: 'vfio-pci', bus: root, devfn: PCI_DEVFN(5, 0) });
    // QEMU prints a NULL qdev.id with glibc's "(null)" (run on 7.2 and 10.0)
    expect(() => t.plug({ typeName: 'vfio-pci', bus: root, devfn: PCI_DEVFN(5, 0) })).to.throw(QemuError, 'PCI: slot 5 function 0 not available for vfio-pci, in use by vfio-pci,id=(null)');
    const rp = t.plug({ typeName: 'pcie-root-port', id: 'rp1', bus: root, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    expect(() => t.plug({ typeName: 'vfio-pci', bus: rp.secondaryBus!, devfn: PCI_DEVFN(1, 0) })).to.throw(
      QemuError,
      'PCI: slot 1 is not valid for vfio-pci, parent device only allows plugging into slot 0.',
    );
    expect(() => t.bus('nope')).to.throw(QemuError, "Bus 'nope' not found");
  });
  it('BDF strings parse with clear errors', () => {
    expect(formatBdf(parseBdf('0000:17:00.0'))).to.equal('0000:17:00.0');
    expect(formatBdf(parseBdf('17:1f.7'))).to.equal('0000:17:1f.7');
    expect(() => parseBdf('0000:17:00', 'host=')).to.throw("host=: '0000:17:00' is not a PCI address (expected DDDD:BB:SS.F, e.g. 0000:17:00.0)");
    expect(() => parseBdf('0000:17:20.0')).to.throw("slot 20 is above 1f");
  });
});
