import { AssertionError, expect } from 'chai';
import { caught, rejected, thrown } from '../src/index.js';

class Refusal extends Error {}
class Bug extends Error {}

const refuse = () => {
  throw new Refusal('refused');
};
const crash = () => {
  throw new Bug('bug');
};

describe('errors a call throws', () => {
  it('thrown: the error of the class; another error propagates; a call that returns fails the test', () => {
    expect(thrown(Refusal, refuse).message).to.equal('refused');
    expect(() => thrown(Refusal, crash)).to.throw(Bug, 'bug');
    expect(() => thrown(Refusal, () => 1)).to.throw(AssertionError, 'expected a Refusal, but the call returned');
  });

  it('caught: the error of the class, or undefined when the call returns; another error propagates', () => {
    expect(caught(Refusal, refuse)).to.be.instanceOf(Refusal);
    expect(caught(Refusal, () => 1)).to.equal(undefined);
    expect(() => caught(Refusal, crash)).to.throw(Bug);
  });

  it('rejected: the rejection of the class; another one propagates; a promise that fulfills fails the test', async () => {
    expect((await rejected(Refusal, Promise.reject(new Refusal('no')))).message).to.equal('no');
    const other = await rejected(Bug, rejected(Refusal, Promise.reject(new Bug('bug'))));
    expect(other.message).to.equal('bug');
    const fulfilled = await rejected(AssertionError, rejected(Refusal, Promise.resolve(1)));
    expect(fulfilled.message).to.equal('expected a Refusal, but the promise fulfilled');
  });
});
