import { InputError } from '@viommu/core';
import fc from 'fast-check';

/**
 * A fuzzed entry point. Every input of `any` must be accepted or refused with `InputError`;
 * every input of `invalid` must be refused with `InputError` (else it is a silent accept);
 * every input of `valid` must be accepted and pass `check`.
 */
export interface FuzzTarget<T> {
  readonly name: string;
  run(input: T): unknown;
  readonly any: fc.Arbitrary<T>;
  readonly invalid: fc.Arbitrary<T>;
  readonly valid?: { readonly arb: fc.Arbitrary<T>; check(input: T, out: unknown): string | undefined };
  /** An input far over the size limit: refused with `InputError` matching `limit`. */
  readonly huge?: { readonly input: () => T; readonly limit: RegExp };
}

/** What a target's run found. */
export interface FuzzFigures {
  readonly target: string;
  inputs: number;
  crashes: number;
  silentAccepts: number;
  pollution: number;
  /** Wrong results for valid inputs (refused, or `check` failed). */
  wrong: number;
  /** Slowest single input, ms. */
  maxMs: number;
  /** Heap growth across the target, MB (after GC when exposed). */
  heapMB: number;
  /** The first findings of each kind, reproducible with the seed. */
  examples: string[];
}

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).join(',');
/** True when something wrote to `Object.prototype` (`__proto__`/`constructor` keys). */
function polluted(): boolean {
  return Object.getOwnPropertyNames(Object.prototype).join(',') !== PROTO_KEYS || ({} as Record<string, unknown>)['polluted'] !== undefined;
}

const show = (x: unknown) => {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 200 ? `${s.slice(0, 200)}… (${s.length} chars)` : s;
};

/** Runs `numRuns` inputs of each family (any, invalid, valid) through a target with `seed`. */
export function fuzzTarget<T>(t: FuzzTarget<T>, numRuns: number, seed: number): FuzzFigures {
  const f: FuzzFigures = { target: t.name, inputs: 0, crashes: 0, silentAccepts: 0, pollution: 0, wrong: 0, maxMs: 0, heapMB: 0, examples: [] };
  const note = (what: string, input: unknown, detail = '') => {
    if (f.examples.filter((e) => e.startsWith(what)).length < 3) f.examples.push(`${what}: ${show(input)}${detail ? ` → ${detail}` : ''}`);
  };
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const once = (input: T, family: 'any' | 'invalid' | 'valid') => {
    f.inputs++;
    const t0 = performance.now();
    let out: unknown;
    let err: unknown;
    let threw = false;
    try {
      out = t.run(input);
    } catch (e) {
      err = e;
      threw = true;
    }
    f.maxMs = Math.max(f.maxMs, performance.now() - t0);
    if (polluted()) {
      f.pollution++;
      note('prototype pollution', input);
      delete (Object.prototype as Record<string, unknown>)['polluted'];
    }
    if (threw && !(err instanceof InputError)) {
      f.crashes++;
      note('crash', input, err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    } else if (family === 'invalid' && !threw) {
      f.silentAccepts++;
      note('silent accept', input);
    } else if (family === 'valid') {
      const bad = threw ? `refused: ${(err as Error).message}` : t.valid!.check(input, out);
      if (bad) {
        f.wrong++;
        note('valid input', input, bad);
      }
    }
    return true;
  };
  const families: ['any' | 'invalid' | 'valid', fc.Arbitrary<T>][] = [['any', t.any], ['invalid', t.invalid]];
  if (t.valid) families.push(['valid', t.valid.arb]);
  families.forEach(([family, arb], i) => {
    fc.assert(fc.property(arb, (x) => once(x, family)), { numRuns: Math.ceil(numRuns / families.length), seed: seed + i, endOnFailure: true });
  });
  if (t.huge) {
    const input = t.huge.input();
    const t0 = performance.now();
    try {
      t.run(input);
      f.silentAccepts++;
      note('huge input accepted', `${String(input).length} chars`);
    } catch (e) {
      if (!(e instanceof InputError) || !t.huge.limit.test(e.message)) {
        f.crashes++;
        note('huge input', `${String(input).length} chars`, e instanceof Error ? e.message.slice(0, 200) : String(e));
      }
    }
    f.inputs++;
    f.maxMs = Math.max(f.maxMs, performance.now() - t0);
  }
  globalThis.gc?.();
  f.heapMB = Math.max(0, (process.memoryUsage().heapUsed - heap0) / 2 ** 20);
  return f;
}

/** One line per target and the totals. */
export function formatFigures(all: readonly FuzzFigures[], seed: number): string {
  const sum = (k: 'inputs' | 'crashes' | 'silentAccepts' | 'pollution' | 'wrong') => all.reduce((n, f) => n + f[k], 0);
  const lines = all.map(
    (f) => `${f.target.padEnd(22)} ${String(f.inputs).padStart(8)} inputs  ${f.crashes} crashes  ${f.silentAccepts} silent accepts  ${f.pollution} pollution  ${f.wrong} wrong  max ${f.maxMs.toFixed(1)} ms  heap +${f.heapMB.toFixed(1)} MB`,
  );
  for (const f of all) for (const e of f.examples) lines.push(`  ${f.target}: ${e}`);
  lines.push(`seed ${seed}: ${sum('inputs')} inputs, ${sum('crashes')} crashes, ${sum('silentAccepts')} silent accepts, ${sum('pollution')} prototype pollution, ${sum('wrong')} wrong results`);
  return lines.join('\n');
}
