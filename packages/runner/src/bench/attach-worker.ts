import { parentPort, workerData } from 'node:worker_threads';
import { runAttachFor, runFloorFor } from './scenarios.js';

/** A bench worker: runs attach scenarios (or the floor) for `ms` and posts the counts. */
const { ms, floor } = workerData as { ms: number; floor: boolean };
parentPort!.postMessage(floor ? runFloorFor(ms) : await runAttachFor(ms));
