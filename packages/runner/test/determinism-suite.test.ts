import 'reflect-metadata';
import { PROFILES } from '@viommu/core';
import { expect } from 'chai';
import { Worker } from 'node:worker_threads';
import { verdictToJson } from '../src/scenario/verdict.js';
import { runSuite, suiteToJson } from '../src/suite/run.js';

interface SuiteJson {
  scenarios: number;
  failed: number;
  skipped: string[];
  results: { id: string; mismatch?: string }[];
}

/** The suite over `profiles` in a worker thread of its own (fresh module state), as JSON text. */
function suiteInWorker(profiles: readonly string[]): Promise<string> {
  const run = new URL('../src/suite/run.js', import.meta.url).href;
  const code = `const { parentPort, workerData } = require('node:worker_threads');
import(${JSON.stringify(run)}).then(async ({ runSuite, suiteToJson }) => parentPort.postMessage(JSON.stringify(suiteToJson(await runSuite({ profiles: workerData })))));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: profiles });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** Shards' results put back in the order of the whole run (the suite's generation order). */
function merge(whole: SuiteJson, shards: readonly SuiteJson[]): string {
  const byId = new Map(shards.flatMap((s) => s.results).map((r) => [r.id, r]));
  const results = whole.results.map((r) => byId.get(r.id));
  return JSON.stringify({ scenarios: byId.size, failed: results.filter((r) => r?.mismatch).length, skipped: shards[0]!.skipped, results });
}

describe('determinism: the suite answers the same bytes', () => {
  let first: string;

  before(async () => {
    first = JSON.stringify(suiteToJson(await runSuite()));
  });

  it('twice in one process: the suite JSON and every verdict (trace included) byte-identical', async () => {
    const [a, b] = [await runSuite(), await runSuite()];
    expect(JSON.stringify(suiteToJson(a))).to.equal(first);
    expect(JSON.stringify(suiteToJson(b))).to.equal(first);
    const verdicts = (r: typeof a) => r.results.map((x) => JSON.stringify(verdictToJson(x.verdict)));
    expect(verdicts(a)).to.deep.equal(verdicts(b));
    expect(a.results.length).to.be.greaterThan(1000);
  });

  for (const workers of [1, 2, 4]) {
    it(`split over ${workers} worker thread(s) by QEMU profile, merged: byte-identical`, async () => {
      const ids = PROFILES.map((p) => p.id);
      const groups = Array.from({ length: workers }, (_, i) => ids.filter((_, j) => j % workers === i));
      const shards = (await Promise.all(groups.map(suiteInWorker))).map((t) => JSON.parse(t) as SuiteJson);
      expect(merge(JSON.parse(first) as SuiteJson, shards)).to.equal(first);
    });
  }
});
