import 'reflect-metadata';
import { formatFigures, fuzzTarget } from './fuzz/harness.js';
import { FUZZ_TARGETS } from './fuzz/targets.js';

/**
 * `npm run fuzz [-- --runs N --seed S]`: N inputs (default 1 000 000 in all) across every
 * parser, seeded and reproducible. Exits 1 on any crash, silent accept, pollution or wrong result.
 */
const opt = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seed = opt('seed', 20261128);
const runs = opt('runs', 1_000_000);
const figures = FUZZ_TARGETS.map((t) => fuzzTarget(t, Math.ceil(runs / FUZZ_TARGETS.length), seed));
console.log(formatFigures(figures, seed));
process.exitCode = figures.some((f) => f.crashes || f.silentAccepts || f.pollution || f.wrong) ? 1 : 0;
