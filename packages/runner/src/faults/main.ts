import 'reflect-metadata';
import { Composition } from '../scenario/compose.js';
import { suiteSweepScenarios } from './scenarios.js';
import { sweepScenario, sweepSummary, type SweepTotals } from './sweep.js';

/**
 * `npm run test:faults`: every scenario of the suite with a fault at each of its kernel calls.
 * Prints each finding, the faults by kernel call, then `N faults injected, L leaks, C crashes`;
 * exits 1 on any finding.
 */
const comp = await Composition.create();
const totals: SweepTotals = { scenarios: 0, faults: 0, tolerated: 0, findings: [], byCall: {} };
for (const s of suiteSweepScenarios(comp)) sweepScenario(comp, s, totals);
for (const f of totals.findings) console.log(`${f.kind.toUpperCase()} ${f.scenario} call ${f.index} (${f.call}): ${f.detail}`);
const mismatches = totals.findings.filter((f) => f.kind === 'mismatch').length;
console.log(`${totals.scenarios} scenarios; ${totals.faults - totals.tolerated - mismatches} refused with QEMU's message for the failing call, ${totals.tolerated} go on as QEMU does, ${mismatches} differ from QEMU`);
const byCall = Object.entries(totals.byCall!).sort(([a], [b]) => (a < b ? -1 : 1));
console.log(`faults by call: ${byCall.map(([c, n]) => `${c} ${n}`).join(', ')}`);
console.log(sweepSummary(totals));
process.exitCode = totals.findings.length ? 1 : 0;
