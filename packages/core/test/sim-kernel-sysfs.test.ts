import { expect } from 'chai';
import { KernelError, SimKernel, type HostModel } from '../src/index.js';

const HOST: HostModel = {
  id: 'sysfs',
  arch: 'x86_64',
  kernel: { release: '6.12.38', cmdline: '', iommufd: true, vfioCdev: true, vfioType1: true },
  units: [],
  devices: [{ bdf: '0000:17:00.1', unit: 'dmar0', group: 42, driver: 'vfio-pci' }],
};

describe('SimKernel sysfs links (readlink)', () => {
  const k = new SimKernel(HOST, []);
  it('the device link and its iommu_group as sysfs has them', () => {
    expect(k.readlink('/sys/bus/pci/devices/0000:17:00.1')).to.equal('../../../devices/pci0000:17/0000:17:00.1');
    expect(k.readlink('/sys/bus/pci/devices/0000:17:00.1/iommu_group')).to.equal('../../../../kernel/iommu_groups/42');
  });
  it('anything else is ENOENT: another device, a trailing slash, a deeper path, another attribute, another bus', () => {
    for (const p of [
      '/sys/bus/pci/devices/0000:17:00.2',
      '/sys/bus/pci/devices/0000:17:00.1/',
      '/sys/bus/pci/devices/0000:17:00.1/iommu_group/x',
      '/sys/bus/pci/devices/0000:17:00.1/driver',
      '/sys/bus/pci/devices/',
      '/sys/bus/usb/devices/0000:17:00.1',
    ]) {
      expect(() => k.readlink(p), p).to.throw(KernelError, `readlink: ENOENT (No such file or directory): ${p}`);
    }
  });
});
