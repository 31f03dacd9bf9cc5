import {
  createAddressSpaceMemory,
  findProfile,
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HostIOMMUDevice,
  PCITopology,
  SUITE_RULES,
  Trace,
  TYPE_HOST_IOMMU_DEVICE,
  VIOMMU_PLUGIN,
  type IovaRange,
  type MachineContext,
  type OptionPair,
  type ProfileId,
} from '@viommu/core';
import { expect } from 'chai';
import type { DependencyContainer } from 'tsyringe';
import { Plugin, register, SUITE } from '../src/index.js';

function q35(): MachineContext {
  const pci = new PCITopology();
  const rootBus = pci.addRootBus('pcie.0', true);
  return {
    family: 'q35', typeName: 'pc-q35', compatVersion: null, accel: 'kvm', props: {}, pci, rootBus,
    addressSpaceMemory: createAddressSpaceMemory(), viommus: [], globals: {},
  };
}

function realize(profile: ProfileId, options: OptionPair[] = []) {
  const machine = q35();
  const dev = new Plugin().realize({ profile: findProfile(profile)!, machine, options, trace: new Trace() });
  return { dev, bus: machine.rootBus };
}

/** A host IOMMU device whose IOMMU maps `aw` bits, as a backend would realize it. */
class FakeHostIOMMUDevice extends HostIOMMUDevice {
  readonly typeName = 'host-iommu-device-fake';
  readonly typeAncestors = ['host-iommu-device-fake', TYPE_HOST_IOMMU_DEVICE];
  constructor(private readonly aw: number) {
    super();
    this.name = '0000:01:00.0';
  }
  readonly getCap = (cap: number): number => (cap === HOST_IOMMU_DEVICE_CAP_AW_BITS ? this.aw : 0);
  realize(): void {}
  getIovaRanges(): IovaRange[] {
    return [];
  }
  getPageSizeMask(): bigint {
    return 0x1000n;
  }
}

describe('__TYPE__', () => {
  it('defaults aw-bits per profile', () => {
    expect(realize('7.2').dev.registers()).to.deep.equal({ aw: 39n });
    expect(realize('10.0').dev.registers()).to.deep.equal({ aw: 48n });
  });

  it('refuses an unsupported aw-bits and an unknown property', () => {
    expect(() => realize('10.0', [{ key: 'aw-bits', value: '40' }])).to.throw('Supported values for aw-bits are: 39, 48');
    expect(() => realize('10.0', [{ key: 'nope', value: '1' }])).to.throw("Property '__TYPE__.nope' not found");
  });

  it('refuses a host narrower than aw-bits at set_iommu_device, accepts a wide one', () => {
    const { dev, bus } = realize('10.0');
    expect(() => dev.ops.setIommuDevice!(bus, 8, new FakeHostIOMMUDevice(39))).to.throw('aw-bits 48 > host aw-bits 39');
    expect(dev.registeredDevices()).to.equal(0);
    dev.ops.setIommuDevice!(bus, 8, new FakeHostIOMMUDevice(48));
    expect(dev.registeredDevices()).to.equal(1);
    dev.ops.unsetIommuDevice!(bus, 8);
    expect(dev.registeredDevices()).to.equal(0);
  });

  it('has no set_iommu_device on profiles without HostIOMMUDevice', () => {
    expect(realize('7.2').dev.ops.setIommuDevice).to.equal(undefined);
  });

  it('registers the plugin and its suite rules', () => {
    const got: [unknown, unknown][] = [];
    register({ register: (token: unknown, provider: { useValue: unknown }) => got.push([token, provider.useValue]) } as unknown as DependencyContainer);
    expect(got.map(([t]) => t)).to.deep.equal([VIOMMU_PLUGIN, SUITE_RULES]);
    expect(got[1]![1]).to.equal(SUITE);
  });
});
