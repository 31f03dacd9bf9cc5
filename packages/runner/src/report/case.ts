import type { ProfileId } from '@viommu/core';
import type { Verdict } from '../scenario/verdict.js';

/**
 * One scenario of a suite as the reports see it: where it sits in the matrix (vendor ×
 * backend × profile, host × VM shape), what was expected and what QEMU (the model) answered.
 * The suite fills it; JUnit, HTML and the summary read only this.
 */
export interface ReportCase {
  /** Stable unique name (`10.0/intel-001/iommufd-root-port`). */
  readonly id: string;
  /** The vIOMMU type (`intel-iommu`, `arm-smmuv3`). */
  readonly vendor: string;
  /** The VFIO backend (`iommufd`, `legacy`). */
  readonly backend: string;
  readonly profile: ProfileId;
  /** Host id (catalogue id or the host profile's id). */
  readonly host: string;
  /** Name of the VM shape (placement and properties), a matrix column. */
  readonly shape: string;
  /** The QEMU command line, as a user would type it. */
  readonly args: string;
  /** What the suite expected, for people (`refused at realize: … (the rule's reason)`). */
  readonly expected?: string;
  /** The suite's explanation when the verdict is not the expected one; absent when it is. */
  readonly mismatch?: string;
  /** The model's answer; absent when the scenario could not run (`error`). */
  readonly verdict?: Verdict;
  /** Why the scenario could not run (an `InputError` message). */
  readonly error?: string;
}

/** `ok`: QEMU starts; `refused`: QEMU refuses; `error`: the scenario could not run. */
export type CaseStatus = 'ok' | 'refused' | 'error';

export function caseStatus(c: ReportCase): CaseStatus {
  if (!c.verdict) return 'error';
  return c.verdict.ok ? 'ok' : 'refused';
}

/** Why the case fails (not as expected, or could not run), or undefined when it passes. */
export function caseMismatch(c: ReportCase): string | undefined {
  if (!c.verdict) return `could not run: ${c.error ?? 'no verdict'}`;
  return c.mismatch;
}

/** Cases grouped by `key`, groups in sorted key order, cases in input order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): [string, T[]][] {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
