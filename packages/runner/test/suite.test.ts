import { expect } from 'chai';
import { Trace } from '@viommu/core';
import { ARM_SMMUV3_SUITE_RULES } from '@viommu/arm-smmuv3';
import { INTEL_SUITE_RULES } from '@viommu/intel-vtd';
import { listHosts } from '../src/hosts/index.js';
import { generateScenarios } from '../src/suite/generate.js';
import { compare, formatSuite, runSuite } from '../src/suite/run.js';
import type { Verdict } from '../src/scenario/verdict.js';
import { viommu } from './cli-helpers.js';

describe('viommu suite', () => {
  it('runs ≥ 200 scenarios over both vendors and both backends, all as expected, in an 80-column table', () => {
    const r = viommu(['suite']);
    expect(r.code, r.out.slice(-2000)).to.equal(0);
    const m = /^(\d+) scenarios, (\d+) as expected, 0 failed$/m.exec(r.out);
    expect(m, r.out).to.not.equal(null);
    expect(Number(m![1])).to.be.at.least(200);
    for (const line of r.out.split('\n')) expect(line.length, line).to.be.at.most(80);
    for (const v of ['intel', 'arm']) for (const b of ['legacy', 'iommufd']) expect(r.out).to.match(new RegExp(`^${v}\\s+\\S+\\s+${b}\\s`, 'm'));
  });

  it('is deterministic and in a stable order', async () => {
    const a = await runSuite({ vendors: ['arm'] });
    const b = await runSuite({ vendors: ['arm'] });
    expect(formatSuite(a, { verbose: true })).to.equal(formatSuite(b, { verbose: true }));
    const ids = generateScenarios(listHosts(), [INTEL_SUITE_RULES, ARM_SMMUV3_SUITE_RULES]).map((s) => s.id);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('filters by vendor, backend and profile', async () => {
    const r = await runSuite({ vendors: ['intel'], backends: ['iommufd'], profiles: ['10.2'] });
    expect(r.results.length).to.be.greaterThan(0);
    for (const x of r.results) expect(x.scenario).to.include({ vendor: 'intel', backend: 'iommufd', profile: '10.2' });
  });

  it('reports a mismatch between the rule and the engine', () => {
    const refused = { ok: false, refusal: { message: 'vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39', stage: 'set-iommu-device' } } as unknown as Verdict;
    const ok = { ok: true, trace: new Trace() } as unknown as Verdict;
    expect(compare({ ok: true, why: 'fits' }, refused)).to.match(/^expected ok \(fits\); got refused at set-iommu-device: /);
    expect(compare({ ok: false, message: 'x', why: 'w' }, refused)).to.match(/^expected refused: x/);
    expect(compare({ ok: false, contains: 'aw-bits 48', why: 'w' }, refused)).to.equal(undefined);
    expect(compare({ ok: false, why: 'w' }, ok)).to.equal('expected refused (w); got ok');
  });
});
