import { expect } from 'chai';
import fc from 'fast-check';
import { KernelError, pciDeviceGetViommuFlags, pciDeviceSetIommuDevice, PCI_BRIDGE_ROLES, QemuError, ViommuFlag, type ProfileId } from '@viommu/core';
import { IntelIommuPlugin, vtdProperties } from '../src/index.js';
import { q35Machine, realizeCtx } from './helpers.js';
import { probe, TestHiod } from './hosts.js';

const plugin = new IntelIommuPlugin();
const { WANT_NESTING_PARENT: NP, WANT_NESTING_DIRTY_TRACKING: DT, PASID_SUPPORTED: PS, WANT_PASID_ATTACH: PA } = ViommuFlag;

describe('get_viommu_flags (vtd_get_viommu_flags)', () => {
  it('upstream: nesting parent + dirty tracking with fsts, PASID flags with pasid-bits', () => {
    const props = (o: Record<string, unknown>) => ({ ...Object.fromEntries(vtdProperties('upstream').map((d) => [d.name, d.default])), ...o }) as never;
    expect(plugin.viommuFlags('upstream', props({}))).to.equal(0n);
    expect(plugin.viommuFlags('upstream', props({ 'scalable-mode': true, fsts: true }))).to.equal(NP | DT);
    expect(plugin.viommuFlags('upstream', props({ 'scalable-mode': true, fsts: true, 'pasid-bits': 20 }))).to.equal(NP | DT | PS | PA);
    expect(plugin.viommuFlags('upstream', props({ 'scalable-mode': true, 'pasid-bits': 20 }))).to.equal(0n);
  });
  it('profiles without the callback: 0, and no op installed', () => {
    for (const p of ['7.2', '10.0', '10.2'] as const) {
      const dev = plugin.realize(realizeCtx(p, q35Machine(), p === '7.2' ? 'x-scalable-mode=on' : 'x-scalable-mode=on,x-flts=on'));
      expect(dev.ops!.getViommuFlags).to.equal(undefined);
      expect(plugin.viommuFlags(p, dev.props)).to.equal(0n);
    }
  });
  it('are host-independent: the same for any host unit (random CAP/ECAP), topology and set_iommu_device outcome', () => {
    const profile: ProfileId = 'upstream';
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.constantFrom(0, 8, 20),
        fc.boolean(),
        fc.array(fc.constantFrom('endpoint', 'pci-bridge', 'pcie-root-port', 'pcie-pci-bridge'), { maxLength: 4 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom('legacy', 'iommufd'),
        (fsts, pasidBits, cm, chain, cap, ecap, backend) => {
          const machine = q35Machine();
          const opts = `scalable-mode=on,fsts=${fsts ? 'on' : 'off'},pasid-bits=${pasidBits},caching-mode=${cm ? 'on' : 'off'}`;
          const dev = plugin.realize(realizeCtx(profile, machine, opts));
          let bus = machine.rootBus;
          let slot = 1;
          for (const kind of chain) {
            if (kind === 'endpoint') continue;
            const devfn = bus.isRoot ? slot++ << 3 : 0;
            const b = machine.pci.plug({ typeName: kind, id: `b${slot}`, bus, devfn, role: PCI_BRIDGE_ROLES[kind] });
            bus = b.secondaryBus!;
          }
          const ep = machine.pci.plug({ typeName: 'vfio-pci', bus, devfn: 0 });
          const expected0 = pciDeviceGetViommuFlags(ep);
          try {
            pciDeviceSetIommuDevice(ep, new TestHiod(backend as 'legacy' | 'iommufd', probe({ name: 'dmar0', vendor: 'intel', registers: { cap, ecap } })));
          } catch (e) {
            if (!(e instanceof QemuError || e instanceof KernelError)) throw e;
          }
          expect(pciDeviceGetViommuFlags(ep)).to.equal(expected0);
          const expected = fsts ? NP | DT | (pasidBits ? PS | PA : 0n) : 0n;
          expect(pciDeviceGetViommuFlags(ep)).to.equal(expected);
          expect(dev.ops!.getViommuFlags!()).to.equal(expected);
          expect(plugin.viommuFlags(profile, dev.props)).to.equal(expected);
        },
      ),
      { seed: 4242, numRuns: 200 },
    );
  });
});
