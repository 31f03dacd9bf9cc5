import 'reflect-metadata';
import { expect } from 'chai';
import { container } from 'tsyringe';
import { IOMMU_DRIVER, VIOMMU_PLUGIN } from '@viommu/core';
import { register } from '../src/index.js';

describe('register(container)', () => {
  it('registers the intel-iommu plugin with its manifest and the intel-iommu driver', () => {
    const c = container.createChildContainer();
    register(c);
    const plugin = c.resolveAll(VIOMMU_PLUGIN).find((p) => p.manifest.typeName === 'intel-iommu')!;
    expect(plugin.manifest).to.deep.include({ vendor: 'intel', arch: 'x86_64', qemuBinary: 'qemu-system-x86_64', defaultMachine: 'q35' });
    expect(plugin.manifest.profiles).to.deep.equal(['7.2', '10.0', '10.2', 'upstream']);
    expect(plugin.manifest.registers).to.deep.equal(['ver', 'cap', 'ecap']);
    const driver = c.resolveAll(IOMMU_DRIVER).find((d) => d.vendor === 'intel')!;
    expect(driver.name).to.equal('intel-iommu');
  });
});
