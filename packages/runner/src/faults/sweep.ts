import { FAULT_PLAN, KERNEL_OBJECTS, TRACE, type HostModel, type LiveObject, type QemuProfile } from '@viommu/core';
import type { VmConfig } from '../input/vm-config.js';
import type { Composition } from '../scenario/compose.js';
import { runScenario } from '../scenario/engine.js';
import type { Verdict } from '../scenario/verdict.js';
import { plausibleErrno } from './errno.js';
import { expectedOutcome } from './expect.js';
import { observeViommus } from './observe.js';

/** What a sweep runs: one VM on one host with one profile. */
export interface SweepScenario {
  readonly id: string;
  readonly vm: VmConfig;
  readonly host: HostModel;
  readonly profile: QemuProfile;
}

/** A fallible kernel call as the trace shows it. */
export interface KernelCall {
  readonly name: string;
  /** The path of `open`/`readlink`/`readdir`/`read`. */
  readonly path?: string;
  /** The step the call belongs to (the trace's last step before it), e.g. `smmuv3_accel_reset`. */
  readonly step?: string;
}

/** One run of a scenario, with or without an injected fault. */
export interface Run {
  readonly verdict?: Verdict;
  /** Anything thrown out of the engine or the guest phase (a crash). */
  readonly thrown?: unknown;
  /** The fallible kernel calls in order. */
  readonly calls: readonly KernelCall[];
  /** 1-based indexes of the calls an injected fault failed. */
  readonly fired: readonly number[];
  /** Everything the simulated kernel holds afterwards, fds included. */
  readonly live: readonly LiveObject[];
  /** Host IOMMU devices the realized vIOMMUs still hold through `set_iommu_device`. */
  readonly registered: number;
}

/** Runs a scenario in a fresh container, failing kernel call `at` (if given) with the call's plausible errno. */
export function runWithFault(comp: Composition, s: SweepScenario, at?: { index: number; call: KernelCall }): Run {
  const faults = at ? [{ atCall: at.index, errno: plausibleErrno(at.call.name) }] : [];
  const c = comp.scenario(s.host, s.profile, faults);
  const { container, devices } = observeViommus(c);
  let verdict: Verdict | undefined;
  let thrown: unknown;
  try {
    verdict = runScenario(container, s.vm, s.host, s.profile);
    // past the start check: the guest's first use of each vIOMMU (arm-smmuv3 accel: vDEVICEs, nested HWPTs)
    if (verdict.ok) for (const d of devices) d.guestBoot?.();
  } catch (e) {
    thrown = e;
  }
  const calls: KernelCall[] = [];
  let step: string | undefined;
  for (const e of c.resolve(TRACE).entries) {
    if (e.kind === 'step') step = e.name;
    else if (e.name !== 'close') {
      calls.push({ name: e.name, ...(typeof e.args?.['path'] === 'string' ? { path: e.args['path'] } : {}), ...(step ? { step } : {}) });
    }
  }
  return {
    verdict,
    thrown,
    calls,
    fired: c.resolve(FAULT_PLAN).fired.map((f) => f.index),
    live: c.resolve(KERNEL_OBJECTS).liveObjects(),
    registered: devices.reduce((n, d) => n + d.registeredDevices(), 0),
  };
}

/** A faulted run that did not end as QEMU would, or left something behind. */
export interface SweepFinding {
  readonly kind: 'leak' | 'crash' | 'mismatch';
  readonly scenario: string;
  readonly index: number;
  readonly call: string;
  readonly detail: string;
}

/** Totals of a sweep. */
export interface SweepTotals {
  scenarios: number;
  faults: number;
  /** Faulted runs QEMU's source says go on (unchanged, or after a warning), and did. */
  tolerated: number;
  /** Faults injected, by kernel call. */
  byCall?: Record<string, number>;
  findings: SweepFinding[];
}

const outcomeOf = (v: Verdict) => (v.refusal ? `refused: ${v.refusal.message}` : 'ok');
const kinds = (live: readonly LiveObject[]) => live.map((o) => o.kind).sort().join(',');
/** `a` holds more objects of some kind than `b`. */
function holdsMore(a: readonly LiveObject[], b: readonly LiveObject[]): boolean {
  const count = new Map<string, number>();
  for (const o of b) count.set(o.kind, (count.get(o.kind) ?? 0) + 1);
  for (const o of a) {
    const n = (count.get(o.kind) ?? 0) - 1;
    if (n < 0) return true;
    count.set(o.kind, n);
  }
  return false;
}

/**
 * Runs a scenario once to learn its K fallible kernel calls, then K times failing call
 * 1..K; adds every finding to `totals`. A refused run must leave the kernel empty and no
 * host IOMMU device registered; a run that goes on must hold what the fault-free run holds.
 */
export function sweepScenario(comp: Composition, s: SweepScenario, totals: SweepTotals): void {
  const clean = runWithFault(comp, s);
  totals.scenarios++;
  const find = (kind: SweepFinding['kind'], index: number, call: string, detail: string) =>
    totals.findings.push({ kind, scenario: s.id, index, call, detail });
  if (!clean.verdict || clean.thrown !== undefined) {
    find('crash', 0, '-', String(clean.thrown));
    return;
  }
  clean.calls.forEach((call, i) => {
    const index = i + 1;
    totals.faults++;
    if (totals.byCall) totals.byCall[call.name] = (totals.byCall[call.name] ?? 0) + 1;
    const r = runWithFault(comp, s, { index, call });
    if (!r.verdict || r.thrown !== undefined) return find('crash', index, call.name, r.thrown instanceof Error ? (r.thrown.stack ?? r.thrown.message) : String(r.thrown));
    if (r.fired.length !== 1 || r.fired[0] !== index) return find('crash', index, call.name, `fault fired at ${r.fired.join(',') || 'no call'}`);
    const v = r.verdict;
    // A run that goes on may legitimately hold less than the clean one (QEMU's
    // virtio_iommu_set_iommu_device returns early when the host reported no IOVA ranges; a
    // guest STE whose nested HWPT failed leaves the device on a proxy); holding more is a leak.
    const leaked = v.ok
      ? clean.verdict!.ok && (holdsMore(r.live, clean.live) || r.registered > clean.registered)
      : r.live.length > 0 || r.registered > 0;
    if (leaked) {
      find('leak', index, call.name, `${r.registered} registered, kernel holds ${kinds(r.live) || 'nothing'}`);
    }
    const want = expectedOutcome(call, s.profile.id, plausibleErrno(call.name));
    if (want === 'same') {
      if (outcomeOf(v) === outcomeOf(clean.verdict!)) totals.tolerated++;
      else find('mismatch', index, call.name, `QEMU goes on as without the fault (${outcomeOf(clean.verdict!)}); got ${outcomeOf(v)}`);
    } else if ('warns' in want) {
      // a warning may change what a later step decides (no IOVA ranges: aw-bits 64)
      const warned = v.trace.entries.some((e) => e.name === 'warn_report' && e.args?.['message'] === want.warns);
      if (warned) totals.tolerated++;
      else find('mismatch', index, call.name, `expected QEMU's warning '${want.warns}' and the run going on; got ${outcomeOf(v)}`);
    } else if ('reports' in want) {
      const reported = v.ok && v.trace.entries.some((e) => e.name === 'error_report' && want.reports.test(String(e.args?.['text'])));
      if (reported) totals.tolerated++;
      else find('mismatch', index, call.name, `expected QEMU's error_report ${want.reports.source} and the VM running on; got ${outcomeOf(v)}`);
    } else if (!v.refusal || !want.endsWith.test(v.refusal.message)) {
      find('mismatch', index, call.name, `expected a refusal ending ${want.endsWith.source}; got ${outcomeOf(v)}`);
    }
  });
}

/** The sweep's closing line. */
export function sweepSummary(t: SweepTotals): string {
  const count = (k: SweepFinding['kind']) => t.findings.filter((f) => f.kind === k).length;
  return `${t.faults} faults injected, ${count('leak')} leaks, ${count('crash')} crashes`;
}
