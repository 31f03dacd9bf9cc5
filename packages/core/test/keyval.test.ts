import { expect } from 'chai';
import { QemuError, parseOptionString, parseQemuInteger, resolveProperties, type PropertyDecl } from '../src/index.js';

// Decls shaped like QEMU 7.2's intel-iommu (qemu-intel-iommu.md §1.1).
const DECLS: PropertyDecl[] = [
  { name: 'aw-bits', type: 'uint8', default: 39 },
  { name: 'caching-mode', type: 'bool', default: false },
  { name: 'eim', type: 'OnOffAuto', default: 'auto' },
  { name: 'version', type: 'uint32', default: 0 },
];

function resolve(opt: string) {
  const p = parseOptionString(opt, 'driver', '-device');
  return resolveProperties(p.implied ?? '', DECLS, { given: p.pairs });
}
function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(QemuError);
    return (e as Error).message;
  }
  throw new Error('expected a QemuError');
}

describe('QEMU keyval properties', () => {
  it('splits the driver and pairs, ",," is a literal comma, bare key means on', () => {
    const p = parseOptionString('intel-iommu,aw-bits=48,caching-mode,id=a,,b', 'driver', '-device');
    expect(p.implied).to.equal('intel-iommu');
    expect(p.pairs).to.deep.equal([
      { key: 'aw-bits', value: '48' },
      { key: 'caching-mode', value: 'on' },
      { key: 'id', value: 'a,b' },
    ]);
  });
  it('booleans accept on/off/yes/no/true/false', () => {
    for (const [v, b] of [['on', true], ['yes', true], ['true', true], ['off', false], ['no', false], ['false', false]] as const) {
      expect(resolve(`intel-iommu,caching-mode=${v}`)['caching-mode']).to.equal(b);
    }
    expect(message(() => resolve('intel-iommu,caching-mode=1'))).to.equal("Parameter 'caching-mode' expects 'on' or 'off'");
  });
  it('integers accept decimal, 0x hex and octal, range-checked per width', () => {
    expect(resolve('intel-iommu,aw-bits=0x30')['aw-bits']).to.equal(48);
    expect(resolve('intel-iommu,aw-bits=060')['aw-bits']).to.equal(48);
    expect(message(() => resolve('intel-iommu,aw-bits=256'))).to.equal("Parameter 'aw-bits' expects uint8_t");
    expect(message(() => resolve('intel-iommu,aw-bits=-1'))).to.equal("Parameter 'aw-bits' expects uint8_t");
    expect(message(() => resolve('intel-iommu,aw-bits=abc'))).to.equal("Parameter 'aw-bits' expects integer");
    expect(message(() => resolve('intel-iommu,version=0x100000000'))).to.equal("Parameter 'version' expects uint32_t");
  });
  it('the last duplicate wins', () => {
    expect(resolve('intel-iommu,aw-bits=48,aw-bits=39')['aw-bits']).to.equal(39);
    expect(resolve('intel-iommu,aw-bits=junk,aw-bits=48')['aw-bits']).to.equal(48);
  });
  it('OnOffAuto and unknown properties give QEMU\'s messages', () => {
    expect(message(() => resolve('intel-iommu,eim=maybe'))).to.equal("Parameter 'eim' does not accept value 'maybe'");
    expect(message(() => resolve('intel-iommu,nosuchprop=on'))).to.equal("Property 'intel-iommu.nosuchprop' not found");
  });
  it('defaults < compat < globals < options', () => {
    const p = parseOptionString('intel-iommu,caching-mode=on', 'driver', '-device');
    const v = resolveProperties('intel-iommu', DECLS, { compat: { 'aw-bits': '39', eim: 'off' }, globals: { eim: 'on' }, given: p.pairs });
    expect(v).to.include({ 'aw-bits': 39, eim: 'on', 'caching-mode': true });
  });
  it('strtoull semantics for uint64: -1 wraps to all ones', () => {
    expect(parseQemuInteger('-1', false)).to.equal((1n << 64n) - 1n);
    expect(parseQemuInteger('0x', false)).to.equal(null);
    expect(parseQemuInteger('18446744073709551616', false)).to.equal(null);
  });
});
