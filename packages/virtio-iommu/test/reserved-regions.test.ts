import { U64_MAX } from '@viommu/core';
import { expect } from 'chai';
import fc from 'fast-check';
import { parseReservedRegion, rangeInverseArray, resvRegionListInsert, type ReservedRegion } from '../src/index.js';

const R = (start: bigint, end: bigint, type = 0): ReservedRegion => ({ start, end, type });

describe('reserved-region helpers (util/reserved-region.c, util/range.c)', () => {
  it('range_inverse_array: holes between usable ranges, none between touching ones', () => {
    expect(rangeInverseArray([{ start: 0n, last: 0xfedfffffn }, { start: 0xfef00000n, last: 0x7fffffffffn }])).to.deep.equal([
      { start: 0xfee00000n, last: 0xfeefffffn },
      { start: 0x8000000000n, last: U64_MAX },
    ]);
    expect(rangeInverseArray([{ start: 0x1000n, last: 0x1fffn }, { start: 0x2000n, last: U64_MAX }])).to.deep.equal([
      { start: 0n, last: 0xfffn },
    ]);
    expect(rangeInverseArray([{ start: 0n, last: U64_MAX }])).to.deep.equal([]);
    expect(rangeInverseArray([{ start: 1n << 63n, last: U64_MAX - 1n }])).to.deep.equal([
      { start: 0n, last: (1n << 63n) - 1n },
      { start: U64_MAX, last: U64_MAX },
    ]);
  });

  it('resv_region_list_insert: the new region wins, trimming or splitting what it overlaps', () => {
    const base = [R(0x1000n, 0x8fffn)];
    expect(resvRegionListInsert(base, R(0x3000n, 0x3fffn, 1))).to.deep.equal([R(0x1000n, 0x2fffn), R(0x3000n, 0x3fffn, 1), R(0x4000n, 0x8fffn)]);
    expect(resvRegionListInsert(base, R(0x1000n, 0x1fffn, 1))).to.deep.equal([R(0x1000n, 0x1fffn, 1), R(0x2000n, 0x8fffn)]);
    expect(resvRegionListInsert(base, R(0x8000n, 0x8fffn, 1))).to.deep.equal([R(0x1000n, 0x7fffn), R(0x8000n, 0x8fffn, 1)]);
    expect(resvRegionListInsert(base, R(0n, 0xffffn, 1))).to.deep.equal([R(0n, 0xffffn, 1)]);
    expect(resvRegionListInsert(base, R(0n, 0x1fffn, 1))).to.deep.equal([R(0n, 0x1fffn, 1), R(0x2000n, 0x8fffn)]);
    expect(resvRegionListInsert(base, R(0x8000n, 0xffffn, 1))).to.deep.equal([R(0x1000n, 0x7fffn), R(0x8000n, 0xffffn, 1)]);
    expect(resvRegionListInsert(base, R(0x10000n, U64_MAX, 1))).to.deep.equal([R(0x1000n, 0x8fffn), R(0x10000n, U64_MAX, 1)]);
  });

  it('resv_region_list_insert keeps the list sorted and disjoint, and the inserted region whole', () => {
    const region = fc
      .tuple(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: U64_MAX }), fc.integer({ min: 0, max: 1 }))
      .map(([a, b, t]) => (a <= b ? R(a, b, t) : R(b, a, t)));
    fc.assert(
      fc.property(fc.array(region, { maxLength: 10 }), (regions) => {
        let list: ReservedRegion[] = [];
        for (const r of regions) {
          list = resvRegionListInsert(list, r);
          expect(list).to.deep.include(r);
          for (let i = 0; i + 1 < list.length; i++) expect(list[i]!.end < list[i + 1]!.start).to.equal(true);
        }
      }),
    );
  });

  it('parses 0xSTART:0xEND:TYPE as set_reserved_region does', () => {
    expect(parseReservedRegion('reserved-regions[0]', '0xfee00000:0xfeefffff:1')).to.deep.equal(R(0xfee00000n, 0xfeefffffn, 1));
    expect(parseReservedRegion('reserved-regions[0]', 'fee00000:ffffffffffffffff:0')).to.deep.equal(R(0xfee00000n, U64_MAX, 0));
    expect(() => parseReservedRegion('reserved-regions[0]', '0x1:zz:0')).to.throw("end address of 'reserved-regions[0]' must be a hexadecimal integer");
    expect(() => parseReservedRegion('reserved-regions[0]', '0x1:0x2')).to.throw("reserved region fields must be separated with ':'");
  });
});
