import { pciDeviceGetViommuFlags, pciDeviceIommuAddressSpace, pciDeviceSetIommuDevice, QemuError, U64_MAX, type IovaRange } from '@viommu/core';
import { expect } from 'chai';
import fc from 'fast-check';
import { VirtioIommuPlugin } from '../src/index.js';
import { ctx, FakeHiod, machine } from './helpers.js';

const plugin = new VirtioIommuPlugin();
const PROFILES = ['7.2', '10.0', '10.2', 'upstream'] as const;

/** Sorted, disjoint IOVA ranges anywhere in the 64-bit space (bit 63 included). */
const iovaRanges = fc
  .uniqueArray(fc.bigInt({ min: 0n, max: U64_MAX }), { minLength: 0, maxLength: 8 })
  .map((points) => {
    const sorted = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: IovaRange[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) out.push({ start: sorted[i]!, last: sorted[i + 1]! });
    return out;
  });
const pgsizes = fc.bigInt({ min: 1n, max: U64_MAX });

describe('get_viommu_flags', () => {
  it('is 0 for every profile and property set, and the device installs no callback', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROFILES),
        fc.boolean(),
        fc.constantFrom('4k', '8k', '16k', '64k', 'host'),
        fc.integer({ min: 32, max: 64 }),
        (profile, bypass, granule, aw) => {
          const opts = profile === '7.2' ? `boot-bypass=${bypass ? 'on' : 'off'}` : `boot-bypass=${bypass ? 'on' : 'off'},granule=${granule},aw-bits=${aw}`;
          const dev = plugin.realize(ctx(profile, machine('q35'), opts));
          expect(plugin.viommuFlags(profile, dev.props)).to.equal(0n);
          expect(dev.ops.getViommuFlags).to.equal(undefined);
        },
      ),
    );
  });

  it('stays 0 whatever host IOMMU devices were handed over (hosts with bit-63 ranges and masks)', () => {
    fc.assert(
      fc.property(fc.constantFrom('10.0', '10.2', 'upstream' as const), fc.array(fc.tuple(iovaRanges, pgsizes), { maxLength: 4 }), (profile, hosts) => {
        const m = machine('virt');
        const dev = plugin.realize(ctx(profile, m));
        hosts.forEach(([ranges, mask], i) => {
          const ep = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
          pciDeviceIommuAddressSpace(ep, m.addressSpaceMemory);
          try {
            pciDeviceSetIommuDevice(ep, new FakeHiod(`0000:0${i}:00.0`, ranges, mask));
          } catch (e) {
            if (!(e instanceof QemuError)) throw e;
          }
          expect(pciDeviceGetViommuFlags(ep)).to.equal(0n);
        });
        expect(plugin.viommuFlags(profile, dev.props)).to.equal(0n);
      }),
    );
  });

  it('takes no host input by construction (profile and properties only)', () => {
    expect(plugin.viommuFlags.length).to.equal(2);
  });
});
