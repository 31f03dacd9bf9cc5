import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { ProfileId } from '@viommu/core';
import { decodeCap, IntelIommuPlugin } from '../src/index.js';
import { q35Machine, realizeCtx } from './helpers.js';

/** Real answers of Debian's QEMU 7.2 and 10.0 (recorded by `dist/test/oracle/fixtures.js`). */
const fixture = (v: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/qemu-${v}.json`, import.meta.url), 'utf8'));
type Answer = { ver: string; cap: string; ecap: string } | { error: string };

const plugin = new IntelIommuPlugin();

function model(profile: ProfileId, options: string, accel: 'tcg' | 'kvm' = 'tcg', kernelIrqchip?: 'on' | 'off' | 'split'): Answer {
  try {
    const r = plugin.realize(realizeCtx(profile, q35Machine({ accel, kernelIrqchip }), options)).registers();
    return { ver: `0x${r.ver!.toString(16)}`, cap: `0x${r.cap!.toString(16)}`, ecap: `0x${r.ecap!.toString(16)}` };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

for (const profile of ['7.2', '10.0'] as const) {
  const f = fixture(profile);
  describe(`intel-iommu registers and refusals against ${f.qemu} (recorded)`, () => {
    for (const [options, answer] of Object.entries(f.tcg.answers as Record<string, Answer>)) {
      it(`TCG -device intel-iommu${options ? `,${options}` : ''}`, () => {
        expect(model(profile, options)).to.deep.equal(answer);
      });
    }
    for (const { kernelIrqchip, options, answer } of f.kvm.answers as { kernelIrqchip: 'on' | 'off' | 'split' | null; options: string; answer: Answer }[]) {
      it(`KVM kernel-irqchip=${kernelIrqchip ?? '(default)'} ${options || '(defaults)'}`, () => {
        expect(model(profile, options, 'kvm', kernelIrqchip ?? undefined)).to.deep.equal(answer);
      });
    }
  });
}

describe('intel-iommu registers in 10.0 (qemu-intel-iommu.md §3.5 run values)', () => {
  const cases: [string, string, string][] = [
    ['', '0xd2008c222f0606', '0xf00f4a'],
    ['aw-bits=39', '0xd2008c22260206', '0xf00f4a'],
    ['x-scalable-mode=on,x-flts=on', '0x1d2008c222f0606', '0x880000f00f4a'],
    ['x-scalable-mode=on,x-flts=on,fs1gp=off', '0xd2008c222f0606', '0x880000f00f4a'],
    ['x-scalable-mode=on,x-flts=on,x-pasid-mode=on', '0x1d2008c222f0606', '0x890000f00f4a'],
    ['x-scalable-mode=on,x-flts=on,caching-mode=on,device-iotlb=on', '0x1d2008c222f0686', '0x880000f00f4e'],
    ['eim=on', '0xd2008c222f0606', '0xf00f5a'],
    ['dma-drain=off', '0x12008c222f0606', '0xf00f4a'],
  ];
  for (const [options, cap, ecap] of cases) {
    it(options || 'defaults', () => expect(model('10.0', options)).to.deep.equal({ ver: '0x10', cap, ecap }));
  }
  it('pc-q35-9.1 brings back aw-bits=39 (pc_compat_9_1)', () => {
    const dev = plugin.realize(realizeCtx('10.0', q35Machine({ compat: [9, 1] }), ''));
    expect(dev.props['aw-bits']).to.equal(39);
    expect(dev.props['stale-tm']).to.equal(true);
    expect(dev.registers().cap).to.equal(0xd2008c22260206n);
  });
});

describe('intel-iommu registers in 10.2 and upstream (from the source: ESRTPS, PSS, the 2026 PT move)', () => {
  it('10.2 sets CAP.ESRTPS (bit 63) and keeps it through bigint', () => {
    const cap = plugin.realize(realizeCtx('10.2', q35Machine(), '')).registers().cap!;
    expect(cap).to.equal(0x80d2008c222f0606n);
    expect(decodeCap(cap).cap_esrtps).to.equal(1n);
  });
  it('10.2 PASID adds PSS = 7', () => {
    expect(model('10.2', 'x-scalable-mode=on,x-pasid-mode=on')).to.deep.equal({ ver: '0x10', cap: '0x80d2008c222f0606', ecap: '0x493880f00f4a' });
  });
  it('upstream: DRAIN always, PT in CAP bit 6 (not ECAP), PSS = pasid-bits - 1, svm adds PRS/PDS/NWFS', () => {
    expect(model('upstream', '')).to.deep.equal({ ver: '0x10', cap: '0x80d2008c222f0646', ecap: '0xf00f0a' });
    const r = model('upstream', 'scalable-mode=on,fsts=on,pasid-bits=20,device-iotlb=on,svm=on') as { ecap: string };
    expect(BigInt(r.ecap)).to.equal(
      (1n << 1n) | 0xf00n | (1n << 3n) | (15n << 20n) | (1n << 2n) | (1n << 43n) | (1n << 47n) | (1n << 40n) | (19n << 35n) | (1n << 29n) | (1n << 42n) | (1n << 33n),
    );
  });
});
