import {
  findProfile,
  PCI_BRIDGE_ROLES,
  pciDeviceIommuAddressSpace,
  pciDeviceSetIommuDevice,
  pciDeviceUnsetIommuDevice,
  Trace,
  U64_MAX,
  vfioListenerRegister,
  vfioPciRealize,
  type KernelUapi,
  type PCIDevice,
  type VfioAttachedDevice,
  type VfioIommuBackend,
} from '@viommu/core';
import { expect } from 'chai';
import { VIRTIO_IOMMU_RESV_MEM_T_MSI, VIRTIO_IOMMU_RESV_MEM_T_RESERVED, VirtioIommuPlugin } from '../src/index.js';
import { capMgaw, ctx, FakeHiod, machine, refusal, vtdIovaRanges } from './helpers.js';

const plugin = new VirtioIommuPlugin();

/** Real VT-d CAP registers (shared/data/real-hosts.json): a 39-bit and a 48-bit host. */
const CAP_XEON_W1290P = 0xd2008c40660462n; // intel-099, MGAW 39
const CAP_XEON_GOLD_6146 = 0x8d2078c106f0466n; // intel-028, MGAW 48
/** iommufd's `out_iova_alignment` on a 4 KiB host; type1's 4K|2M|1G; an arm64 64 KiB-page host's 64K|512M. */
const PGSIZES_IOMMUFD_4K = 0x1000n;
const PGSIZES_TYPE1 = 0x40201000n;
const PGSIZES_ARM64_64K = 0x20010000n;

/** The smallest VFIO backend: attaches into the address space (7.2: the listener) and hands out a fixed hiod. */
function fakeBackend(hiod: FakeHiod | null, pgsizes: bigint, profile = findProfile('10.0')!): VfioIommuBackend & { attached: number } {
  return {
    typeName: 'vfio-iommu-legacy',
    attached: 0,
    attachDevice(req): VfioAttachedDevice {
      const err = vfioListenerRegister(req.addressSpace, pgsizes, profile, new Trace());
      if (err) throw err.prepend('failed to setup container for group 7: ');
      this.attached++;
      return { name: req.name, hiod };
    },
    detachDevice() {
      this.attached--;
    },
    liveObjects: () => [],
  } as VfioIommuBackend & { attached: number };
}

const kernel = { readlink: () => '../../../devices/pci0000:00/0000:01:00.0' } as unknown as KernelUapi;

describe('virtio_iommu_set_iommu_device (9.1+ profiles)', () => {
  it('a 39-bit VT-d host: its MSI hole and the space above 2^39 become reserved regions; the MSI property region wins', () => {
    const m = machine('q35');
    const dev = plugin.realize(ctx('10.0', m));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory);
    const hiod = new FakeHiod('0000:01:00.0', vtdIovaRanges(capMgaw(CAP_XEON_W1290P)), PGSIZES_IOMMUFD_4K);
    pciDeviceSetIommuDevice(ep, hiod);
    expect(dev.endpoint(m.rootBus, ep.devfn)!.resvRegions).to.deep.equal([
      { start: 0xfee00000n, end: 0xfeefffffn, type: VIRTIO_IOMMU_RESV_MEM_T_MSI },
      { start: 0x8000000000n, end: U64_MAX, type: VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
    ]);
    expect(dev.registers().page_size_mask).to.equal(0x1000n);
    expect(dev.registeredDevices()).to.equal(1);
    pciDeviceUnsetIommuDevice(ep);
    expect(dev.registeredDevices()).to.equal(0);
    expect(dev.endpoint(m.rootBus, ep.devfn)!.resvRegions).to.deep.equal([
      { start: 0xfee00000n, end: 0xfeefffffn, type: VIRTIO_IOMMU_RESV_MEM_T_MSI },
    ]);
  });

  it('a 48-bit host on virt: the x86 MSI hole of the host is reserved, bit 63 survives', () => {
    const m = machine('virt');
    const dev = plugin.realize(ctx('upstream', m));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory);
    pciDeviceSetIommuDevice(ep, new FakeHiod('0000:17:00.0', vtdIovaRanges(capMgaw(CAP_XEON_GOLD_6146)), PGSIZES_TYPE1));
    expect(dev.endpoint(m.rootBus, ep.devfn)!.resvRegions).to.deep.equal([
      { start: 0x08020000n, end: 0x08020fffn, type: VIRTIO_IOMMU_RESV_MEM_T_MSI },
      { start: 0xfee00000n, end: 0xfeefffffn, type: VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
      { start: 0x1000000000000n, end: 0xffffffffffffffffn, type: VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
    ]);
    expect(dev.registers().page_size_mask).to.equal(0x40201000n);
  });

  it('granule=64k against a 4 KiB iommufd container: QEMU\'s message through vfio_pci_realize', () => {
    const m = machine('q35');
    plugin.realize(ctx('10.0', m, 'granule=64k'));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    const backend = fakeBackend(new FakeHiod('0000:01:00.0', vtdIovaRanges(39n), PGSIZES_IOMMUFD_4K), PGSIZES_IOMMUFD_4K);
    const e = refusal(() =>
      vfioPciRealize({
        host: '0000:01:00.0',
        pdev: ep,
        backend,
        kernel,
        profile: findProfile('10.0')!,
        addressSpaceMemory: m.addressSpaceMemory,
        trace: new Trace(),
      }),
    );
    expect(e.message).to.equal(
      'vfio 0000:01:00.0: Failed to set vIOMMU: 0000:01:00.0: virtio-iommu reports a page size mask 0x1000 incompatible with currently supported mask 0xffffffffffff0000',
    );
    expect(e.stage).to.equal('set-iommu-device');
    expect(backend.attached).to.equal(0);
  });

  it('after machine-init-done the granule is frozen: a 64 KiB-only host device is refused, a 4K|2M one keeps the mask', () => {
    const m = machine('virt');
    const dev = plugin.realize(ctx('10.0', m));
    dev.machineInitDone();
    const [a, b] = [m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus }), m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus })];
    for (const p of [a, b]) pciDeviceIommuAddressSpace(p, m.addressSpaceMemory);
    const e = refusal(() => pciDeviceSetIommuDevice(a, new FakeHiod('0000:01:00.0', vtdIovaRanges(48n), PGSIZES_ARM64_64K)));
    expect(e.message).to.equal('0000:01:00.0: virtio-iommu does not support frozen granule 0x1000');
    pciDeviceSetIommuDevice(b, new FakeHiod('0000:02:00.0', vtdIovaRanges(48n), PGSIZES_TYPE1));
    expect(dev.registers().page_size_mask).to.equal(0xfffffffffffff000n);
  });

  it('before machine-init-done the mask shrinks to the common page sizes', () => {
    const m = machine('virt', { hostPageSize: 0x1000n });
    const dev = plugin.realize(ctx('10.0', m));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory);
    pciDeviceSetIommuDevice(ep, new FakeHiod('0000:01:00.0', vtdIovaRanges(48n), PGSIZES_ARM64_64K));
    expect(dev.registers().page_size_mask).to.equal(PGSIZES_ARM64_64K);
  });

  it('no usable ranges (old kernels): accepted without a check and not recorded', () => {
    const m = machine('q35');
    const dev = plugin.realize(ctx('10.0', m, 'granule=64k'));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    pciDeviceSetIommuDevice(ep, new FakeHiod('0000:01:00.0', [], PGSIZES_IOMMUFD_4K));
    expect(dev.registeredDevices()).to.equal(0);
    expect(dev.registers().page_size_mask).to.equal(0xffffffffffff0000n);
  });

  it('one hiod per device: a second is refused', () => {
    const m = machine('q35');
    plugin.realize(ctx('10.0', m));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory);
    pciDeviceSetIommuDevice(ep, new FakeHiod('0000:01:00.0', vtdIovaRanges(39n), PGSIZES_TYPE1));
    expect(refusal(() => pciDeviceSetIommuDevice(ep, new FakeHiod('0000:01:00.0', vtdIovaRanges(39n), PGSIZES_TYPE1))).message).to.equal(
      'Host IOMMU device already exists',
    );
  });

  it('two devices behind one PCIe-to-PCI bridge share an alias: the second is refused', () => {
    const m = machine('q35');
    plugin.realize(ctx('10.0', m));
    const rp = m.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    const br = m.pci.plug({ typeName: 'pcie-pci-bridge', id: 'br0', bus: rp.secondaryBus!, role: PCI_BRIDGE_ROLES['pcie-pci-bridge'] });
    const eps: PCIDevice[] = [1, 2].map((slot) => m.pci.plug({ typeName: 'vfio-pci', bus: br.secondaryBus!, devfn: slot << 3 }));
    for (const p of eps) pciDeviceIommuAddressSpace(p, m.addressSpaceMemory);
    pciDeviceSetIommuDevice(eps[0]!, new FakeHiod('0000:01:00.0', vtdIovaRanges(39n), PGSIZES_TYPE1));
    expect(refusal(() => pciDeviceSetIommuDevice(eps[1]!, new FakeHiod('0000:02:00.0', vtdIovaRanges(39n), PGSIZES_TYPE1))).message).to.equal(
      'virtio_iommu_set_host_iova_ranges virtio-iommu does not support aliased BDF',
    );
  });

  it('an alias nobody asked the address space of has no IOMMUPciBus', () => {
    const m = machine('q35');
    plugin.realize(ctx('10.0', m));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    expect(refusal(() => pciDeviceSetIommuDevice(ep, new FakeHiod('0000:01:00.0', vtdIovaRanges(39n), PGSIZES_TYPE1))).message).to.equal(
      'virtio_iommu_set_host_iova_ranges: no IOMMUPciBus found!',
    );
  });
});

describe('7.2: the page-size mask through the IOMMU region (virtio_iommu_set_page_size_mask)', () => {
  const p72 = findProfile('7.2')!;

  it('boot-bypass=on: VFIO maps system memory, no negotiation at cold plug', () => {
    const m = machine('q35');
    const dev = plugin.realize(ctx('7.2', m));
    expect(dev.ops.setIommuDevice).to.equal(undefined);
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    expect(vfioListenerRegister(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory), PGSIZES_ARM64_64K, p72, new Trace())).to.equal(null);
    expect(dev.registers().page_size_mask).to.equal(0xfffffffffffff000n);
  });

  it('boot-bypass=off: the mask shrinks to the container\'s pgsizes at cold plug', () => {
    const m = machine('virt');
    const dev = plugin.realize(ctx('7.2', m, 'boot-bypass=off'));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    expect(vfioListenerRegister(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory), PGSIZES_ARM64_64K, p72, new Trace())).to.equal(null);
    expect(dev.registers().page_size_mask).to.equal(PGSIZES_ARM64_64K);
  });

  it('hot-plug after machine ready with another granule: QEMU 7.2\'s message through the listener', () => {
    const m = machine('virt');
    const dev = plugin.realize(ctx('7.2', m, 'boot-bypass=off'));
    dev.machineInitDone();
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    const e = vfioListenerRegister(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory), PGSIZES_ARM64_64K, p72, new Trace());
    expect(e?.message).to.equal(
      'memory listener initialization failed: Region virtio-iommu-memory-region-0-16: virtio-iommu page mask 0xfffffffffffff000 is incompatible with mask 0x20010000',
    );
  });

  it('no common page size at all is refused at cold plug too', () => {
    const m = machine('q35');
    plugin.realize(ctx('7.2', m, 'boot-bypass=off'));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    const e = vfioListenerRegister(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory), 0x800n, p72, new Trace());
    expect(e?.message).to.equal(
      `memory listener initialization failed: Region virtio-iommu-memory-region-0-${ep.devfn}: virtio-iommu page mask 0xfffffffffffff000 is incompatible with mask 0x800`,
    );
  });
});

describe('determinism', () => {
  it('the same configuration gives the same trace, byte for byte', () => {
    const run = () => {
      const m = machine('q35');
      const c = ctx('10.0', m, 'granule=4k');
      plugin.realize(c);
      const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
      pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory);
      pciDeviceSetIommuDevice(ep, new FakeHiod('0000:01:00.0', vtdIovaRanges(capMgaw(CAP_XEON_W1290P)), PGSIZES_TYPE1));
      return JSON.stringify(c.trace.toJSON()) + c.trace.format();
    };
    const first = run();
    expect(first).to.contain('0xfffffffffffff000');
    expect(run()).to.equal(first);
  });
});
