import { PCI_BRIDGE_ROLES, pciDeviceIommuAddressSpace } from '@viommu/core';
import { expect } from 'chai';
import {
  TYPE_VIRTIO_IOMMU,
  VIRTIO_IOMMU_DEVICE_MANIFEST,
  VIRTIO_IOMMU_RESV_MEM_T_MSI,
  VirtIOIOMMU,
  VirtioIommuPlugin,
} from '../src/index.js';
import { ctx, machine, refusal } from './helpers.js';

const pciPlugin = new VirtioIommuPlugin();
const devPlugin = new VirtioIommuPlugin(VIRTIO_IOMMU_DEVICE_MANIFEST);

describe('virtio-iommu-pci machine rules', () => {
  it('x86 allows one vIOMMU (pc.c pre-plug)', () => {
    const m = machine('q35');
    m.viommus.push({ typeName: 'intel-iommu' });
    const e = refusal(() => pciPlugin.realize(ctx('7.2', m)));
    expect(e.message).to.equal('QEMU does not support multiple vIOMMUs for x86 yet.');
    expect(e.stage).to.equal('realize');
  });

  it('virt allows one IOMMU: the machine SMMU or another virtio-iommu', () => {
    const msg = 'virt machine does not support multiple IOMMUs';
    expect(refusal(() => pciPlugin.realize(ctx('7.2', machine('virt', { props: { iommu: 'smmuv3' } })))).message).to.equal(msg);
    const m = machine('virt');
    m.viommus.push({ typeName: 'virtio-iommu-pci' });
    expect(refusal(() => pciPlugin.realize(ctx('10.0', m))).message).to.equal(msg);
  });

  it('7.2: the machine sets len-reserved-regions itself, so a user length is refused (x86 before the vIOMMU check)', () => {
    const msg = 'array size property len-reserved-regions may not be set more than once';
    const m = machine('q35');
    m.viommus.push({ typeName: 'virtio-iommu-pci' });
    expect(refusal(() => pciPlugin.realize(ctx('7.2', m, 'len-reserved-regions=1'))).message).to.equal(msg);
    expect(refusal(() => pciPlugin.realize(ctx('7.2', machine('virt'), 'len-reserved-regions=2'))).message).to.equal(msg);
    // virt checks for another IOMMU first
    expect(
      refusal(() => pciPlugin.realize(ctx('7.2', machine('virt', { props: { iommu: 'smmuv3' } }), 'len-reserved-regions=1'))).message,
    ).to.equal('virt machine does not support multiple IOMMUs');
    expect(() => pciPlugin.realize(ctx('7.2', machine('q35'), 'len-reserved-regions=0'))).not.to.throw();
  });

  it('must sit on a root bus; a failed realize frees its slot', () => {
    const m = machine('q35');
    const rp = m.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    const e = refusal(() => pciPlugin.realize(ctx('7.2', m, 'bus=rp0')));
    expect(e.message).to.equal('virtio-iommu-pci must be plugged on the root bus');
    expect(rp.secondaryBus!.devices.size).to.equal(0);
    expect(refusal(() => pciPlugin.realize(ctx('7.2', m, 'bus=nope'))).message).to.equal("Bus 'nope' not found");
  });

  it('takes a slot on the root bus: an occupied addr is refused by PCI registration', () => {
    const m = machine('q35');
    const e = refusal(() => pciPlugin.realize(ctx('7.2', m, 'addr=0')));
    expect(e.message).to.match(/^PCI: slot 0 function 0 not available for virtio-iommu-pci, in use by mch/);
    pciPlugin.realize(ctx('7.2', m, '', 'viommu0'));
    expect(m.rootBus.devices.get(0x08)?.typeName).to.equal('virtio-iommu-pci');
  });

  it('machines without a hotplug handler for it are refused (sbsa-ref)', () => {
    expect(refusal(() => pciPlugin.realize(ctx('7.2', machine('sbsa-ref')))).message).to.equal(
      'Check your machine implements a hotplug handler for the virtio-iommu-pci device',
    );
  });

  it('an invalid reserved-region type is refused with QEMU\'s hint', () => {
    // virt with GICv3 and its=off has no MSI controller: the command-line regions stay.
    const m = machine('virt', { props: { 'gic-version': '3', its: 'off' } });
    const e = refusal(() => pciPlugin.realize(ctx('7.2', m, 'len-reserved-regions=1,reserved-regions[0]=0x1000:0x2000:2')));
    expect(e.message).to.equal('reserved region 0 has an invalid type');
    expect(e.hint).to.equal('Valid values are 0 and 1');
  });

  it('the machine MSI window becomes the reserved region of every endpoint', () => {
    const cases: [string, Record<string, string>, bigint, bigint][] = [
      ['q35', {}, 0xfee00000n, 0xfeefffffn],
      ['virt', {}, 0x08020000n, 0x08020fffn],
      ['virt', { 'gic-version': '3' }, 0x08090000n, 0x0809ffffn],
    ];
    for (const [family, props, start, end] of cases) {
      const m = machine(family, { props });
      const dev = pciPlugin.realize(ctx('10.0', m));
      const sdev = dev.findAddAs(m.rootBus, 0x10);
      expect(sdev.resvRegions).to.deep.equal([{ start, end, type: VIRTIO_IOMMU_RESV_MEM_T_MSI }]);
    }
  });

  it('installs its ops on the bus: devices below get virtio-iommu-memory-region-<index>-<devfn>', () => {
    const m = machine('q35');
    const dev = pciPlugin.realize(ctx('10.0', m, 'boot-bypass=off'));
    expect(m.rootBus.iommuOps).to.equal(dev.ops);
    const rp = m.pci.plug({ typeName: 'pcie-root-port', id: 'rp0', bus: m.rootBus, role: PCI_BRIDGE_ROLES['pcie-root-port'] });
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: rp.secondaryBus! });
    const ep2 = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    expect(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory).name).to.equal('virtio-iommu-memory-region-0-0');
    expect(pciDeviceIommuAddressSpace(ep2, m.addressSpaceMemory).name).to.equal(`virtio-iommu-memory-region-1-${ep2.devfn}`);
    expect(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory).iommu).to.not.equal(null);
    expect(dev.ops.getViommuFlags).to.equal(undefined);
  });

  it('with boot-bypass (the default) VFIO sees system memory, not the IOMMU region', () => {
    const m = machine('q35');
    pciPlugin.realize(ctx('7.2', m));
    const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
    expect(pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory).iommu).to.equal(null);
  });

  it('the dev-IOTLB notifier is refused by the IOMMU region', () => {
    const m = machine('q35');
    const dev = pciPlugin.realize(ctx('10.0', m, 'boot-bypass=off'));
    const region = dev.findAddAs(m.rootBus, 0x18).as.iommu!;
    expect(region.notifyFlagChanged(1 << 2)?.message).to.equal('Virtio-iommu does not support dev-iotlb yet');
    expect(region.notifyFlagChanged(3)).to.equal(null);
    expect(region.setPageSizeMask).to.equal(undefined);
  });
});

describe('virtio-iommu-device (plugged on a virtio-mmio bus)', () => {
  it('needs a virtio bus: none on q35', () => {
    expect(refusal(() => devPlugin.realize(ctx('7.2', machine('q35'), 'primary-bus=pcie.0'))).message).to.equal(
      `No 'virtio-bus' bus found for device '${TYPE_VIRTIO_IOMMU}'`,
    );
  });

  it('without primary-bus it is attached to no PCI bus', () => {
    expect(refusal(() => devPlugin.realize(ctx('7.2', machine('virt')))).message).to.equal('VIRTIO-IOMMU is not attached to any PCI bus!');
    expect(refusal(() => devPlugin.realize(ctx('7.2', machine('virt'), 'primary-bus=nope'))).message).to.equal("Device 'nope' not found");
  });

  it('translates the linked bus, with no machine checks (QEMU 7.2 accepts it beside iommu=smmuv3)', () => {
    const m = machine('virt', { props: { iommu: 'smmuv3' } });
    const dev = devPlugin.realize(ctx('7.2', m, 'bus=virtio-mmio-bus.0,primary-bus=pcie.0'));
    expect(dev).to.be.instanceOf(VirtIOIOMMU);
    expect(m.rootBus.iommuOps).to.equal(dev.ops);
    expect([...m.rootBus.devices.values()].map((d) => d.typeName)).to.deep.equal(['gpex-root']);
    // qemu-system-aarch64 -device virtio-iommu-device,help (7.2.22)
    expect(devPlugin.properties('7.2').map((d) => d.name)).to.deep.equal([
      'any_layout', 'boot-bypass', 'event_idx', 'indirect_desc', 'iommu_platform', 'notify_on_empty', 'packed',
      'primary-bus', 'queue_reset', 'use-disabled-flag', 'use-started', 'x-disable-legacy-check',
    ]);
  });

  it('machine compat names virtio-iommu-pci only: on virt the bare device keeps aw-bits=64 (QEMU 10.0)', () => {
    const regs = devPlugin.realize(ctx('10.0', machine('virt'), 'primary-bus=pcie.0')).registers();
    expect(regs['input_range.end']).to.equal(0xffffffffffffffffn);
  });
});
