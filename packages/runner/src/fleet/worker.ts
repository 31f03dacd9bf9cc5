import { findProfile } from '@viommu/core';
import { parentPort, workerData } from 'node:worker_threads';
import { Composition } from '../scenario/compose.js';
import { runJobs } from './outcome.js';
import type { WorkerInput } from './parallel.js';

/** A fleet worker thread: runs its share of the jobs and posts the outcomes back. */
const input = workerData as WorkerInput;
const comp = await Composition.create(input.cwd);
parentPort!.postMessage(runJobs(comp, input.vms, input.jobs, findProfile(input.profile)!));
