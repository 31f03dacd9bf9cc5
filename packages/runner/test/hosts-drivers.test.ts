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

  it('an imported boot log probes with the units it printed', () => {
    const h = loadHost(join(FIXTURES, 'intel-068.dmesg.txt'));
    const k = new SimKernel(h, drivers());
    expect([...k.instances.values()].map((i) => [i.unit.name, i.unit.registers.cap])).to.deep.equal([
      ['dmar0', 0xf9ed008cee780c66n],
      ['dmar1', 0xf9ed008cee780c66n],
    ]);
  });
});
