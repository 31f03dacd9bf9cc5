import { expect } from 'chai';
import fc from 'fast-check';
import { InputError, MAX_OPTION_LENGTH, parseOptionString } from '../src/index.js';

const key = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/), fc.constantFrom('__proto__', 'constructor', 'prototype')).filter((k) => k !== 'driver');
const encode = (implied: string, pairs: readonly { key: string; value: string }[]) => [implied, ...pairs.map((p) => `${p.key}=${p.value.replaceAll(',', ',,')}`)].join(',');

describe('fuzz: keyval option strings (qemu_opts_parse)', () => {
  it('any text: parsed or refused with InputError, never another error, never touching Object.prototype', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).join();
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.constantFrom('driver', 'type', null), (s, implied) => {
        try {
          parseOptionString(s, implied, 'fuzz');
        } catch (e) {
          expect(e).to.be.instanceOf(InputError);
        }
        expect(Object.getOwnPropertyNames(Object.prototype).join()).to.equal(before);
      }),
      { numRuns: 5000, seed: 7 },
    );
  });

  it('written pairs (commas doubled, prototype keys, bit-63 hex values) read back as written', () => {
    const value = fc.oneof(fc.string({ maxLength: 10 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `0x${v.toString(16)}`));
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.array(fc.record({ key, value }), { maxLength: 6 }), (type, pairs) => {
        const parsed = parseOptionString(encode(type, pairs), 'driver', 'fuzz');
        expect(parsed.implied).to.equal(type);
        expect(parsed.pairs).to.deep.equal(pairs);
      }),
      { numRuns: 5000, seed: 8 },
    );
  });

  it("an empty key is QEMU's Invalid parameter ''; an over-long string is refused by size", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 5 }), (t, v) => {
        expect(() => parseOptionString(`${t},=${v.replaceAll(',', ',,')}`, 'driver', 'fuzz')).to.throw(InputError, "Invalid parameter ''");
      }),
      { numRuns: 500, seed: 9 },
    );
    expect(() => parseOptionString('a'.repeat(MAX_OPTION_LENGTH + 1), 'driver', 'x')).to.throw(InputError, `x: option string of ${MAX_OPTION_LENGTH + 1} characters is longer than ${MAX_OPTION_LENGTH}`);
  });
});
