import { DEFAULT_PROFILE, findProfile, InputError, SUITE_RULES, type SuiteExpected } from '@viommu/core';
import { listHosts } from '../hosts/index.js';
import { parseQemuArgs } from '../input/qemu-args.js';
import { Composition, resolveAllOrNone } from '../scenario/compose.js';
import { runScenario } from '../scenario/engine.js';
import type { Verdict } from '../scenario/verdict.js';
import { generateScenarios, type SuiteFilter } from './generate.js';
import type { SuiteScenario } from './model.js';
import { coloursFor, type Colours } from '../progress/colour.js';

const PLAIN = coloursFor({ isTTY: false });

/** One scenario's outcome. */
export interface ScenarioResult {
  readonly scenario: SuiteScenario;
  readonly ok: boolean;
  /** QEMU's message when refused. */
  readonly message?: string;
  readonly stage?: string;
  /** Why the outcome does not match the expectation; absent when it matches. */
  readonly mismatch?: string;
  /** The whole verdict (trace, registers), for the reports. */
  readonly verdict: Verdict;
}

export interface SuiteResult {
  readonly results: readonly ScenarioResult[];
  readonly failures: readonly ScenarioResult[];
  /** Catalogue hosts left out, with the reason (a host the kernel model cannot probe). */
  readonly skipped: readonly string[];
}

/** Compares a verdict with the rule's expectation; returns the explanation of a mismatch. */
export function compare(expected: SuiteExpected, v: Verdict): string | undefined {
  const got = v.refusal ? `refused at ${v.refusal.stage}: ${v.refusal.message}` : 'ok';
  const want = expected.ok ? 'ok' : `refused${expected.stage ? ` at ${expected.stage}` : ''}${expected.message ? `: ${expected.message}` : expected.contains ? `: …${expected.contains}…` : ''}`;
  const bad =
    expected.ok !== v.ok ||
    (!expected.ok &&
      ((expected.message !== undefined && v.refusal!.message !== expected.message) ||
        (expected.contains !== undefined && !v.refusal!.message.includes(expected.contains)) ||
        (expected.stage !== undefined && v.refusal!.stage !== expected.stage)));
  return bad ? `expected ${want} (${expected.why}); got ${got}` : undefined;
}

/**
 * Generates the scenarios of every vIOMMU's suite rules (`SUITE_RULES` from the packages) over
 * the embedded catalogue and runs each in its own container. `onProgress(done, total)` is called
 * before each scenario and once at the end.
 */
export async function runSuite(filter: SuiteFilter = {}, onProgress?: (done: number, total: number) => void): Promise<SuiteResult> {
  const comp = await Composition.create();
  const registry = comp.root.createChildContainer();
  for (const p of comp.packages) p.register(registry);
  const rules = resolveAllOrNone(registry, SUITE_RULES);
  for (const v of filter.vendors ?? []) {
    if (!rules.some((r) => r.vendor === v)) throw new InputError(`no suite rules for vendor '${v}' (vendors: ${rules.map((r) => r.vendor).join(', ')})`, 'suite --vendor');
  }
  const skipped: string[] = [];
  const hosts = listHosts().filter((h) => {
    try {
      comp.scenario(h, DEFAULT_PROFILE);
      return true;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      skipped.push(`${h.id}: ${e.message}`);
      return false;
    }
  });
  const scenarios = generateScenarios(hosts, rules, filter);
  const results = scenarios.map((s, i): ScenarioResult => {
    onProgress?.(i, scenarios.length);
    const profile = findProfile(s.profile)!;
    const v = runScenario(comp.scenario(s.host, profile), parseQemuArgs(s.argv, s.id), s.host, profile);
    return { scenario: s, ok: v.ok, message: v.refusal?.message, stage: v.refusal?.stage, mismatch: compare(s.expected, v), verdict: v };
  });
  onProgress?.(scenarios.length, scenarios.length);
  return { results, failures: results.filter((r) => r.mismatch), skipped };
}

/** Summary table (≤ 80 columns), then every failure explained; `colours` paints the verdicts (plain by default). */
export function formatSuite(r: SuiteResult, opts: { verbose?: boolean; colours?: Colours } = {}): string {
  const c = opts.colours ?? PLAIN;
  const fail = c.bold(c.red('FAIL'));
  const rows = new Map<string, { n: number; ok: number; refused: number; fail: number }>();
  for (const x of r.results) {
    const k = [x.scenario.vendor, x.scenario.props, x.scenario.backend, x.scenario.profile].join('\t');
    const row = rows.get(k) ?? { n: 0, ok: 0, refused: 0, fail: 0 };
    row.n++;
    if (x.ok) row.ok++;
    else row.refused++;
    if (x.mismatch) row.fail++;
    rows.set(k, row);
  }
  const head = ['vendor', 'properties', 'backend', 'qemu', 'runs', 'ok', 'refused', 'fail'];
  const body = [...rows].map(([k, v]) => [...k.split('\t'), String(v.n), String(v.ok), String(v.refused), String(v.fail)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  const out = [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line)];
  const passed = r.results.length - r.failures.length;
  const failed = `${r.failures.length} failed`;
  out.push('', `${r.results.length} scenarios, ${c.green(`${passed} as expected`)}, ${r.failures.length ? c.bold(c.red(failed)) : failed}`);
  if (r.skipped.length) out.push(`${r.skipped.length} catalogue hosts not modelled (--json lists them)`);
  if (opts.verbose) for (const x of r.results) out.push(`${x.mismatch ? fail : 'pass'} ${x.scenario.id}: ${x.ok ? 'ok' : x.message}`);
  for (const f of r.failures) {
    out.push('', `${fail} ${f.scenario.id}`, `  ${f.mismatch}`, `  qemu ${f.scenario.argv.join(' ')}`);
  }
  return out.join('\n');
}

/** The suite as JSON. */
export function suiteToJson(r: SuiteResult): unknown {
  return {
    scenarios: r.results.length,
    failed: r.failures.length,
    skipped: r.skipped,
    results: r.results.map((x) => ({
      id: x.scenario.id,
      expected: x.scenario.expected,
      ok: x.ok,
      ...(x.message !== undefined ? { message: x.message, stage: x.stage } : {}),
      ...(x.mismatch ? { mismatch: x.mismatch } : {}),
    })),
  };
}
