import { expect } from 'chai';
import { InputError } from '@viommu/core';
import { parseSmmuSysfs } from '../src/index.js';

describe('parseSmmuSysfs (/sys/class/iommu/smmu3.%pa)', () => {
  it('reads the MMIO base from the name and the platform device from the link', () => {
    const links = new Map<string, string | undefined>([
      ['smmu3.0x0000000016000000', '../../devices/platform/arm-smmu-v3.10.auto/iommu/smmu3.0x0000000016000000'],
      ['smmu3.0x0000000009050000', undefined],
      ['dmar0', '../../devices/virtual/iommu/dmar0'],
    ]);
    expect(parseSmmuSysfs(links, 'dump')).to.deep.equal([
      { sysfsName: 'smmu3.0x0000000009050000', regBase: 0x9050000n },
      { sysfsName: 'smmu3.0x0000000016000000', regBase: 0x16000000n, device: 'arm-smmu-v3.10.auto' },
    ]);
  });

  it('keeps a base with bit 63 set', () => {
    expect(parseSmmuSysfs(new Map([['smmu3.0x8000000000000000', undefined]]), 'dump')[0]!.regBase).to.equal(0x8000000000000000n);
  });

  it('refuses a smmu3 name without an address', () => {
    try {
      parseSmmuSysfs(new Map([['smmu3.x', undefined]]), 'dump');
      expect.fail('accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      expect((e as Error).message).to.equal("dump: /sys/class/iommu/smmu3.x: 'smmu3.x' is not an SMMUv3 class device name (smmu3.0x<address>)");
    }
  });
});
