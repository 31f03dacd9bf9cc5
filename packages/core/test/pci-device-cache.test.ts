import { expect } from 'chai';
import { PCIDeviceCache, PCITopology, type PCIBus } from '../src/index.js';

class Recorder extends PCIDeviceCache<{ bus: string; devfn: number; n: number }> {
  made = 0;
  protected create(bus: PCIBus, devfn: number) {
    return { bus: bus.name, devfn, n: this.made++ };
  }
}

describe('PCIDeviceCache', () => {
  const topo = new PCITopology();
  const a = topo.addRootBus('pcie.0', true);
  const b = topo.addRootBus('pcie.1', true);

  it('makes an entry once per (bus, devfn) and returns the same one after', () => {
    const c = new Recorder();
    const first = c.get(a, 0x08);
    expect(c.get(a, 0x08)).to.equal(first);
    expect(c.made).to.equal(1);
  });

  it('keeps buses and devfns apart, devfn 0 included', () => {
    const c = new Recorder();
    expect([c.get(a, 0), c.get(b, 0), c.get(a, 0xff)].map((e) => [e.bus, e.devfn, e.n])).to.deep.equal([
      ['pcie.0', 0, 0],
      ['pcie.1', 0, 1],
      ['pcie.0', 0xff, 2],
    ]);
    expect(c.get(b, 0).n).to.equal(1);
    expect(c.made).to.equal(3);
  });
});
