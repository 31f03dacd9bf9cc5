import { expect } from 'chai';
import { container } from 'tsyringe';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, IOMMU_DRIVER, SimKernel } from '@viommu/core';
import { register as registerIntel } from '@viommu/intel-vtd';
import { register as registerArm } from '@viommu/arm-smmuv3';
import { AMD_NOT_MODELLED, listHosts, loadHost } from '../src/hosts/index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/hosts');

/** The vendor driver models, as the runner wires them. */
function drivers() {
  const c = container.createChildContainer();
  registerIntel(c);
  registerArm(c);
  return c.resolveAll(IOMMU_DRIVER);
}

describe('hosts meet the driver models (the kernel side of a check)', () => {
  it('every catalogue unit with a driver model probes; AMD units are left unprobed; an unprinted ecap is refused', () => {
    const ds = drivers();
    let probed = 0;
    for (const h of listHosts()) {
      if (h.id === 'intel-100') {
        expect(() => new SimKernel(h, ds), h.id).to.throw(InputError);
        continue;
      }
      const k = new SimKernel(h, ds);
      if (h.assumed!.includes(AMD_NOT_MODELLED)) {
        expect(k.instances.size, h.id).to.equal(0);
        continue;
      }
      expect([...k.instances.keys()], h.id).to.deep.equal(h.units.map((u) => u.name));
      for (const d of h.devices) expect(k.iommuOf(d)?.unit.name, `${h.id} ${d.bdf}`).to.equal(d.unit);
      probed++;
    }
    expect(probed).to.equal(130);
  });

  it('an imported boot log probes with the units it printed', async () => {
    const h = await loadHost(join(FIXTURES, 'intel-068.dmesg.txt'));
    const k = new SimKernel(h, drivers());
    expect([...k.instances.values()].map((i) => [i.unit.name, i.unit.registers.cap])).to.deep.equal([
      ['dmar0', 0xf9ed008cee780c66n],
      ['dmar1', 0xf9ed008cee780c66n],
    ]);
  });

  it('a hand-written profile whose SMMUv3 ID registers are known probes from them, not from a features word', async () => {
    // IDR0..AIDR of QEMU 7.2's emulated SMMUv3, read from the binary with qtest (see the fixture's provenance)
    const h = await loadHost(join(FIXTURES, 'qemu-7.2-virt-smmuv3.json'));
    const inst = new SimKernel(h, drivers()).instances.get('smmu3.0x0000000009050000')!;
    expect(inst.unit.registers).to.deep.equal({ idr0: 0xd40101an, idr1: 0x2730010n, idr2: 0n, idr3: 0x1404n, idr4: 0n, idr5: 0x74n, iidr: 0n, aidr: 1n });
    expect(inst.unit.extra).to.equal(undefined);
  });
});
