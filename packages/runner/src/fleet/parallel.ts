import type { ProfileId, QemuProfile } from '@viommu/core';
import { Worker } from 'node:worker_threads';
import type { VmConfig } from '../input/vm-config.js';
import type { Composition } from '../scenario/compose.js';
import { runJobs, type FleetJob, type Outcome } from './outcome.js';

/** What a fleet worker thread is given (structured-cloned: host registers stay bigint). */
export interface WorkerInput {
  readonly cwd: string;
  readonly profile: ProfileId;
  readonly vms: readonly VmConfig[];
  readonly jobs: readonly FleetJob[];
}

/** Below this many scenarios a worker's start-up (~0.2 s: Node, plugins) costs more than it saves. */
export const JOBS_PER_WORKER = 2048;

/** How many worker threads `jobs` scenarios deserve, up to `max` (0: run in this thread). */
export function workersFor(jobs: number, max: number, perWorker = JOBS_PER_WORKER): number {
  const n = Math.min(max, Math.floor(jobs / perWorker));
  return n >= 2 ? n : 0;
}

function runWorker(input: WorkerInput): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`fleet worker exited with code ${code}`));
    });
  });
}

/**
 * Runs the jobs in this thread (`workers` 0) or split in contiguous shares over `workers`
 * threads; outcomes come back in job order either way.
 */
export async function runParallel(
  comp: Composition,
  vms: readonly VmConfig[],
  jobs: readonly FleetJob[],
  profile: QemuProfile,
  workers: number,
  cwd: string,
): Promise<Outcome[]> {
  if (workers <= 0) return runJobs(comp, vms, jobs, profile);
  const share = Math.ceil(jobs.length / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, i) => runWorker({ cwd, profile: profile.id, vms, jobs: jobs.slice(i * share, (i + 1) * share) })),
  );
  return parts.flat();
}
