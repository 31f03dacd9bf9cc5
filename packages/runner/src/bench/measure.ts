import { spawn, spawnSync } from 'node:child_process';

/** One benchmark figure as `npm run bench -- --json` prints it. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal as text (`≤ 1.5`), or null for a figure reported as measured. */
  readonly goal: string | null;
  /** Whether `value` meets the goal (null without one). */
  readonly met: boolean | null;
  /** What the figure was measured against, for people. */
  readonly note?: string;
}

/** A figure with a goal `value op bound`. */
export function figure(name: string, value: number, unit: string, op: '<=' | '>=' | '<', bound: number, note?: string): Figure {
  const met = op === '<=' ? value <= bound : op === '>=' ? value >= bound : value < bound;
  return { name, value: round(value), unit, goal: `${op === '<=' ? '≤' : op === '>=' ? '≥' : '<'} ${bound}`, met, ...(note ? { note } : {}) };
}

/** A figure reported as measured. */
export function measured(name: string, value: number, unit: string, note?: string): Figure {
  return { name, value: round(value), unit, goal: null, met: null, ...(note ? { note } : {}) };
}

function round(v: number): number {
  return Number(v >= 100 ? v.toFixed(0) : v.toPrecision(3));
}

/** A process to launch for a cold-start figure. */
export interface Launch {
  readonly cmd: string;
  readonly args: readonly string[];
}

/**
 * Median wall time (ms) of `runs` launches of each process, after one warm-up round (page
 * cache). The launches are interleaved round by round, so a machine that gets busier or quieter
 * during the run moves every figure alike and their ratios stay fair.
 */
export function coldStarts(launches: readonly Launch[], runs: number): number[] {
  const times: number[][] = launches.map(() => []);
  for (let i = 0; i <= runs; i++) {
    launches.forEach(({ cmd, args }, k) => {
      const t = performance.now();
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      const ms = performance.now() - t;
      if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      if (i > 0) times[k]!.push(ms);
    });
  }
  return times.map(median);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall time (ms) from launch to the first `OK` answer of a qtest QEMU, which is then killed (qtest never exits on its own). */
export function firstAnswer(cmd: string, args: readonly string[], input: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^OK/m.test(out)) {
        resolve(performance.now() - t);
        p.kill('SIGKILL');
      }
    });
    p.once('error', reject);
    p.once('exit', () => reject(new Error(`${cmd} exited before answering: ${out}`)));
    p.stdin.end(input);
  });
}

/** Median of `runs` `firstAnswer` launches after one warm-up. */
export async function coldAnswer(cmd: string, args: readonly string[], input: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const ms = await firstAnswer(cmd, args, input);
    if (i > 0) times.push(ms);
  }
  return median(times);
}
