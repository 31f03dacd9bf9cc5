import { HOST_IOMMU_DEVICE_CAP_AW_BITS, awBitsFromIovaRanges, type IovaRange } from '@viommu/core';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { host, machine } from './helpers.js';

/**
 * Legacy aw_bits against the real QEMU 10.0.2 binary: `oracle/record-aw-bits.sh` served each
 * IOVA layout through `oracle/vfio-type1-shim.c` and let intel-iommu's set_iommu_device
 * compare it (`aw-bits A > host aw-bits H`, or accepted when H ≥ A). The simulation builds a
 * host whose type1 list is the same layout (aperture = last end, reserved = the holes).
 */
interface Layout {
  readonly iova: string;
  readonly viommuAwBits: number;
  readonly setIommuDevice: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/qemu-10.0-legacy-aw-bits.json', import.meta.url), 'utf8')) as {
  qemu: string;
  layouts: Layout[];
};

function ranges(spec: string): IovaRange[] {
  return spec ? spec.split(',').map((r) => ({ start: BigInt(`0x${r.split('-')[0]}`), last: BigInt(`0x${r.split('-')[1]}`) })) : [];
}

describe(`oracle: ${fixture.qemu}, host aw-bits from legacy IOVA ranges`, () => {
  for (const l of fixture.layouts) {
    it(`${l.iova || 'no IOVA_RANGE capability'} with aw-bits=${l.viommuAwBits}: QEMU says "${l.setIommuDevice}"`, () => {
      const want = ranges(l.iova);
      const refused = /^aw-bits \d+ > host aw-bits (\d+)$/.exec(l.setIommuDevice);
      let aw: number;
      if (want.length === 0) {
        aw = awBitsFromIovaRanges([]);
      } else {
        const holes = want.slice(1).map((r, i) => `0x${(want[i]!.last + 1n).toString(16)}-0x${(r.start - 1n).toString(16)}`);
        const m = machine(host({ apertureBits: want.at(-1)!.last.toString(2).length, resv: holes.join(','), devices: [{ bdf: '0000:01:00.0', group: 7 }] }), '10.0');
        const hiod = m.backend.attachDevice(m.request('0000:01:00.0')).hiod!;
        expect(hiod.getIovaRanges()).to.deep.equal(want);
        aw = hiod.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS);
      }
      if (refused) expect(aw).to.equal(Number(refused[1]));
      else {
        expect(l.setIommuDevice).to.equal('accepted');
        expect(aw).to.be.at.least(l.viommuAwBits);
      }
    });
  }
});
