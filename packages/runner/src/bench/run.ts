import { findProfile } from '@viommu/core';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { planFleet } from '../fleet/index.js';
import { Composition } from '../scenario/compose.js';
import { benchShapes, drawHosts } from './fleet.js';
import { readFileSync } from 'node:fs';
import { coldAnswer, coldStarts, figure, firstAnswer, measured, type Figure } from './measure.js';

/*
 * `npm run bench [-- --json] [-- --only GROUP…]`: every figure measured side by side in this run
 * on this machine (no timed tests; docs/performance.md has the goals and what bounds a missed one).
 */
const USAGE = `usage: npm run bench [-- [--json] [--only start|batch|attach|fleet]…]
  --json        one JSON object {"figures": [{name, value, unit, goal, met, note?}…]}
  --only GROUP  only that group of figures (repeatable; default: all)`;
const GROUPS = ['start', 'batch', 'attach', 'fleet'] as const;
type Group = (typeof GROUPS)[number];
/** The \`viommu\` bin as npm installs it (package.json \`bin\`), so start-up is measured as users start it. */
const PACKAGE_ROOT = new URL('../../../', import.meta.url);
const CLI = fileURLToPath(new URL(JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')).bin.viommu, PACKAGE_ROOT));
const NODE = process.execPath;
const QEMU = 'qemu-system-x86_64';
const RUNS = 10;
const VIOMMU_DEV = 'intel-iommu,caching-mode=on,aw-bits=48';
const MACHINE = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm'];
const qemuArgs = (dev: string) => ['-machine', 'q35,kernel-irqchip=split', '-accel', 'tcg', '-S', '-qtest', 'stdio', '-display', 'none', '-nodefaults', '-device', dev];
const READ_CAP = 'readq 0xfed90008\n';

function qemuVersion(): string | null {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (/version (\S+)/.exec(r.stdout)?.[1] ?? null) : null;
}

async function startFigures(qemu: string | null): Promise<Figure[]> {
  const [node, regs, check] = coldStarts([
    { cmd: NODE, args: ['-e', '0'] },
    { cmd: NODE, args: [CLI, 'regs', '--qemu', '7.2', VIOMMU_DEV] },
    { cmd: NODE, args: [CLI, 'check', '--host', 'intel-016', '--qemu', '7.2', '--no-trace', '--', ...MACHINE, '-device', VIOMMU_DEV, '-device', 'vfio-pci,host=0000:01:00.0'] },
  ], RUNS) as [number, number, number];
  const out = [
    measured('node -e 0 cold start', node, 'ms'),
    figure('viommu regs cold start / node -e 0', regs / node, 'ratio', '<=', 1.5, `${regs.toFixed(1)} ms`),
    figure('viommu check cold start / node -e 0', check / node, 'ratio', '<=', 1.5, `${check.toFixed(1)} ms`),
  ];
  if (qemu) {
    const q = await coldAnswer(QEMU, qemuArgs(VIOMMU_DEV), READ_CAP, RUNS);
    out.push(
      measured(`QEMU ${qemu} qtest cold start to first answer`, q, 'ms'),
      measured(`viommu regs cold start / QEMU ${qemu}`, regs / q, 'ratio'),
      measured(`viommu check cold start / QEMU ${qemu}`, check / q, 'ratio'),
    );
  }
  return out;
}

async function batchFigures(qemu: string | null): Promise<Figure[]> {
  const devs = Array.from({ length: 10000 }, (_, i) => `intel-iommu,caching-mode=on,aw-bits=${i % 2 ? 48 : 39}${i % 3 ? ',intremap=on' : ''}${i % 5 ? '' : ',device-iotlb=on'}`);
  const t = performance.now();
  const r = spawnSync(NODE, [CLI, 'regs', '--qemu', '7.2', '--batch', '-'], { input: devs.join('\n'), encoding: 'utf8', maxBuffer: 1 << 28 });
  const batch = performance.now() - t;
  if (r.stdout.trim().split('\n').length !== devs.length) throw new Error(`regs --batch answered ${r.stdout.trim().split('\n').length} of ${devs.length}: ${r.stderr}`);
  const out = [measured('viommu regs --batch, 10 000 configurations (one process)', batch, 'ms')];
  if (qemu) {
    const sample = 20;
    const t0 = performance.now();
    for (let i = 0; i < sample; i++) await firstAnswer(QEMU, qemuArgs(devs[i]!), READ_CAP);
    const perLaunch = (performance.now() - t0) / sample;
    out.push(
      measured(`10 000 QEMU ${qemu} launches (extrapolated from ${sample})`, perLaunch * devs.length, 'ms'),
      figure(`10 000 configurations: QEMU ${qemu} launches / one --batch process`, (perLaunch * devs.length) / batch, 'ratio', '>=', 1000),
    );
  }
  return out;
}

function inWorkers(n: number, data: { ms: number; floor: boolean }): Promise<{ count: number; ok: number }[]> {
  return Promise.all(
    Array.from({ length: n }, () => new Promise<{ count: number; ok: number }>((resolve, reject) => {
      const w = new Worker(new URL('./attach-worker.js', import.meta.url), { workerData: data });
      w.once('message', resolve);
      w.once('error', reject);
    })),
  );
}

async function attachFigures(): Promise<Figure[]> {
  const threads = availableParallelism();
  const ms = 3000;
  const sum = (rs: { count: number }[]) => rs.reduce((n, r) => n + r.count, 0);
  const sim = sum(await inWorkers(threads, { ms, floor: false })) / (ms / 1000);
  const floor = sum(await inWorkers(threads, { ms, floor: true })) / (ms / 1000);
  return [
    figure(`simulated attach scenarios per second (${threads} threads)`, sim, '/s', '>=', 100000),
    measured(`hand-written decision from the same bits per second (${threads} threads)`, floor, '/s'),
    figure('floor / simulated attach (slow-down)', floor / sim, 'ratio', '<=', 20),
  ];
}

async function fleetFigures(): Promise<Figure[]> {
  const t0 = performance.now();
  const hosts = drawHosts(1_000_000);
  const shapes = benchShapes();
  const built = performance.now() - t0;
  const comp = await Composition.create();
  const t = performance.now();
  const plan = await planFleet(comp, hosts, shapes, findProfile('10.0')!);
  const wall = performance.now() - t;
  const placed = plan.placements.reduce((n, p) => n + p.acceptedCount, 0);
  const mem = process.memoryUsage();
  return [
    figure('fleet: 1 000 000 hosts × 100 VM shapes, wall', wall / 1000, 's', '<', 10,
      `${plan.classes.length} classes, ${plan.scenarios} scenarios, ${plan.workers} workers, ${placed} placements; hosts built in ${(built / 1000).toFixed(1)} s`),
    measured('fleet: memory after the run (RSS)', mem.rss / 2 ** 20, 'MiB', `heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`),
  ];
}

function table(figs: readonly Figure[]): string {
  const w = Math.max(...figs.map((f) => f.name.length));
  return figs
    .map((f) => `${f.name.padEnd(w)}  ${String(f.value).padStart(10)} ${f.unit.padEnd(5)}  ${(f.goal ?? '').padEnd(8)} ${f.met === null ? '' : f.met ? 'met' : 'MISSED'}${f.note ? `  (${f.note})` : ''}`)
    .join('\n');
}

/** The options, or a usage error (exit 2). */
function options(argv: readonly string[]): { json: boolean; only: Set<Group> } | string {
  let json = false;
  const only = new Set<Group>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--only') {
      const g = argv[++i];
      if (!GROUPS.includes(g as Group)) return `bench: --only takes one of ${GROUPS.join(', ')}${g === undefined ? '' : `, not '${g}'`}`;
      only.add(g as Group);
    } else return a === '--help' || a === '-h' ? '' : `bench: unknown option '${a}'`;
  }
  return { json, only: only.size ? only : new Set(GROUPS) };
}

const opts = options(process.argv.slice(2));
if (typeof opts === 'string') {
  if (opts) process.stderr.write(`${opts}\n${USAGE}\n`);
  else process.stdout.write(`${USAGE}\n`);
  process.exit(opts ? 2 : 0);
}
const qemu = qemuVersion();
const run: Record<Group, () => Promise<Figure[]>> = {
  start: () => startFigures(qemu),
  batch: () => batchFigures(qemu),
  attach: attachFigures,
  fleet: fleetFigures,
};
const figures: Figure[] = [];
for (const g of GROUPS) if (opts.only.has(g)) figures.push(...(await run[g]()));
process.stdout.write(opts.json ? `${JSON.stringify({ figures })}\n` : `${table(figures)}\n`);
