import { availableParallelism } from 'node:os';
import type { HostModel, QemuProfile } from '@viommu/core';
import type { Composition } from '../scenario/compose.js';
import { decisionKey, projectHost } from './key.js';
import type { FleetJob, Outcome } from './outcome.js';
import { runParallel, workersFor } from './parallel.js';
import type { VmShape } from './shapes.js';

/** Host classes that answer a shape the same way: refused for one reason. */
export interface RefusalGroup {
  readonly outcome: Outcome & { readonly ok: false };
  /** Indices into `FleetPlan.classes`. */
  readonly classes: readonly number[];
  /** How many hosts the classes hold. */
  readonly count: number;
}

/** Where one VM shape can run, by host class (`hostsOf` names the hosts). */
export interface ShapePlacement {
  readonly shape: string;
  /** The classes that take it. */
  readonly accepted: readonly number[];
  readonly acceptedCount: number;
  /** The rest, grouped by reason, largest group first (ties: reason text). */
  readonly refused: readonly RefusalGroup[];
}

/** A fleet run: placements, and what the work cost. */
export interface FleetPlan {
  readonly profile: string;
  readonly hostIds: readonly string[];
  /** Host classes (hosts equal in everything any decision reads): indices into `hostIds`, ascending. */
  readonly classes: readonly (readonly number[])[];
  /** Scenarios run: distinct (shape, per-shape key) pairs. */
  readonly scenarios: number;
  /** Worker threads used (0: the calling thread). */
  readonly workers: number;
  readonly placements: readonly ShapePlacement[];
}

/** The ids of the hosts in `classes`, in fleet order. */
export function hostsOf(plan: FleetPlan, classes: readonly number[]): string[] {
  return classes
    .flatMap((c) => plan.classes[c]!)
    .sort((a, b) => a - b)
    .map((i) => plan.hostIds[i]!);
}

export interface FleetOptions {
  /** Upper bound on worker threads (default: the machine's available parallelism; 0 forces one thread). */
  readonly maxWorkers?: number;
  /** Scenarios each worker thread must have before threads are used (default `JOBS_PER_WORKER`). */
  readonly jobsPerWorker?: number;
  /** Where plugin discovery looks, in worker threads too. */
  readonly cwd?: string;
}

/**
 * For every VM shape, the hosts that take it and, for the rest, QEMU's reason, grouped.
 * Work is keyed by what the decision reads (`decisionKey`): hosts first collapse into classes,
 * then each shape runs once per distinct key of a class's devices it touches, so a fleet costs
 * what its distinct IOMMU profiles cost. Large runs spread over worker threads.
 */
export async function planFleet(
  comp: Composition,
  hosts: readonly HostModel[],
  shapes: readonly VmShape[],
  profile: QemuProfile,
  opts: FleetOptions = {},
): Promise<FleetPlan> {
  const classOf = new Map<string, number>();
  const reps: HostModel[] = [];
  const members: number[][] = [];
  hosts.forEach((h, i) => {
    const key = decisionKey(h);
    let c = classOf.get(key);
    if (c === undefined) {
      c = reps.length;
      classOf.set(key, c);
      reps.push(h);
      members.push([]);
    }
    members[c]!.push(i);
  });
  const jobs: FleetJob[] = [];
  const jobOf: number[][] = shapes.map((s, si) => {
    const seen = new Map<string, number>();
    return reps.map((rep) => {
      const key = decisionKey(rep, s.bdfs);
      let j = seen.get(key);
      if (j === undefined) {
        j = jobs.length;
        seen.set(key, j);
        jobs.push({ shape: si, host: projectHost(rep, s.bdfs) });
      }
      return j;
    });
  });
  const workers = workersFor(jobs.length, opts.maxWorkers ?? availableParallelism(), opts.jobsPerWorker);
  const outcomes = await runParallel(comp, shapes.map((s) => s.vm), jobs, profile, workers, opts.cwd ?? process.cwd());
  const size = (cs: readonly number[]) => cs.reduce((n, c) => n + members[c]!.length, 0);
  const placements = shapes.map((s, si): ShapePlacement => {
    const accepted: number[] = [];
    const refused = new Map<string, { outcome: Outcome & { ok: false }; classes: number[] }>();
    jobOf[si]!.forEach((j, c) => {
      const o = outcomes[j]!;
      if (o.ok) accepted.push(c);
      else {
        let g = refused.get(o.reason);
        if (!g) refused.set(o.reason, (g = { outcome: o, classes: [] }));
        g.classes.push(c);
      }
    });
    return {
      shape: s.id,
      accepted,
      acceptedCount: size(accepted),
      refused: [...refused.values()]
        .map((g) => ({ ...g, count: size(g.classes) }))
        .sort((a, b) => b.count - a.count || (a.outcome.reason < b.outcome.reason ? -1 : a.outcome.reason > b.outcome.reason ? 1 : 0)),
    };
  });
  return { profile: profile.id, hostIds: hosts.map((h) => h.id), classes: members, scenarios: jobs.length, workers, placements };
}
