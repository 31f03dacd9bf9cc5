import { expect } from 'chai';
import { kernelFeatures, memoizePure } from '../src/index.js';

describe('memoizePure', () => {
  it('computes once per key and answers the same frozen value', () => {
    let calls = 0;
    const f = memoizePure((k: bigint) => ({ calls: ++calls, top: k >> 63n }));
    const a = f(1n << 63n);
    expect(f(1n << 63n)).to.equal(a);
    expect(a).to.deep.equal({ calls: 1, top: 1n });
    expect(Object.isFrozen(a)).to.equal(true);
    expect(f(1n).calls).to.equal(2);
  });
  it('does not cache a throw; starts over at the limit', () => {
    let calls = 0;
    const f = memoizePure((k: string) => {
      calls++;
      if (k === 'bad') throw new RangeError('bad key');
      return { k };
    }, 2);
    expect(() => f('bad')).to.throw(RangeError);
    expect(() => f('bad')).to.throw(RangeError);
    const a = f('a');
    f('b');
    f('c');
    expect(f('a')).not.to.equal(a);
    expect(calls).to.equal(6);
  });
  it('kernelFeatures is one frozen answer per release', () => {
    expect(kernelFeatures('6.12.38+deb13-amd64')).to.equal(kernelFeatures('6.12.38+deb13-amd64'));
    expect(Object.isFrozen(kernelFeatures('6.6.0'))).to.equal(true);
  });
});
