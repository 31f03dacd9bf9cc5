import { expect } from 'chai';
import { fuzzTarget } from './fuzz/harness.js';
import { FUZZ_TARGETS } from './fuzz/targets.js';

/** `npm run fuzz` runs 1 000 000 inputs; here a few thousand per parser, same seed. */
describe('fuzz: every parser of outside input', () => {
  for (const t of FUZZ_TARGETS) {
    it(`${t.name}: no crash, no silent accept, no prototype pollution, valid input read back, size limit`, () => {
      const f = fuzzTarget(t, 1500, 20261128);
      expect(f.examples).to.deep.equal([]);
      expect([f.crashes, f.silentAccepts, f.pollution, f.wrong]).to.deep.equal([0, 0, 0, 0]);
      expect(f.inputs).to.be.at.least(1500);
    });
  }

  it('the harness sees a crash, a silent accept and prototype pollution', () => {
    const fc = FUZZ_TARGETS[0]!;
    const bad = {
      ...fc,
      name: 'broken',
      huge: undefined,
      valid: undefined,
      run: (s: never) => {
        if (String(s).includes('=')) (Object.prototype as Record<string, unknown>)['polluted'] = 1;
        if (String(s).length > 30) throw new TypeError('boom');
      },
    };
    const f = fuzzTarget(bad, 300, 1);
    expect(f.crashes).to.be.greaterThan(0);
    expect(f.silentAccepts).to.be.greaterThan(0);
    expect(f.pollution).to.be.greaterThan(0);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });
});
