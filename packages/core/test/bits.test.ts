import { expect } from 'chai';
import { GENMASK, U64_MAX, awBitsFromIovaRanges, deposit, field, fls64, hex, parseHexU64, toJsonValue } from '../src/index.js';

describe('64-bit values stay bigint', () => {
  it('a register with bit 63 set survives parse → format', () => {
    const v = parseHexU64('0x8000000000000001', 'cap');
    expect(v).to.equal((1n << 63n) | 1n);
    expect(hex(v)).to.equal('0x8000000000000001');
    expect(toJsonValue(v)).to.equal('0x8000000000000001');
  });
  it('all-ones survives; 65 bits are refused', () => {
    expect(hex(parseHexU64('ffffffffffffffff', 'ecap'))).to.equal('0xffffffffffffffff');
    expect(parseHexU64('ffffffffffffffff', 'ecap')).to.equal(U64_MAX);
    expect(() => parseHexU64('1ffffffffffffffff', 'ecap')).to.throw(RangeError, "ecap: '1ffffffffffffffff' does not fit in 64 bits");
    expect(() => parseHexU64('0xfg', 'cap')).to.throw(RangeError, "cap: '0xfg' is not a hexadecimal value");
  });
  it('field / deposit / GENMASK on the top bits', () => {
    expect(GENMASK(63, 60)).to.equal(0xf000000000000000n);
    expect(field(0xc0000020e60262n, 54, 4)).to.equal(0x3n);
    expect(deposit(0n, 63, 1, 1n)).to.equal(1n << 63n);
    expect(fls64(1n << 63n)).to.equal(63);
    expect(fls64(0n)).to.equal(-1);
  });
  it('vfio_device_get_aw_bits: last range end → highest bit + 1, 64 when none', () => {
    // qemu-host-iommu-smmuv3.md §1.7 example: [0, 0xfedfffff], [0xfef00000, 0xffffffffffff] → 48
    expect(awBitsFromIovaRanges([{ start: 0n, last: 0xfedfffffn }, { start: 0xfef00000n, last: 0xffffffffffffn }])).to.equal(48);
    expect(awBitsFromIovaRanges([{ start: 0n, last: 0x7fffffffffn }])).to.equal(39);
    expect(awBitsFromIovaRanges([])).to.equal(64);
    expect(awBitsFromIovaRanges([{ start: 0n, last: U64_MAX }])).to.equal(64);
  });
});
