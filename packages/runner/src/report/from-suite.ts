import type { SuiteExpected } from '@viommu/core';
import type { SuiteResult } from '../suite/run.js';
import type { ReportCase } from './case.js';

/** `refused at realize: <message> (<why>)`: an expectation for people. */
export function describeExpected(e: SuiteExpected): string {
  if (e.ok) return `QEMU starts (${e.why})`;
  const what = e.message ?? (e.contains !== undefined ? `…${e.contains}…` : undefined);
  return `refused${e.stage ? ` at ${e.stage}` : ''}${what !== undefined ? `: ${what}` : ''} (${e.why})`;
}

/**
 * The suite's results as report cases: the matrix column (VM shape) of a scenario is its
 * backend, vIOMMU properties and device placement.
 */
export function suiteReportCases(r: SuiteResult): ReportCase[] {
  return r.results.map(({ scenario: s, verdict, mismatch }) => ({
    id: s.id,
    vendor: s.vendor,
    backend: s.backend,
    profile: s.profile,
    host: s.host.id,
    shape: `${s.backend} ${s.props} ${s.placement}`,
    args: s.argv.join(' '),
    expected: describeExpected(s.expected),
    ...(mismatch !== undefined ? { mismatch } : {}),
    verdict,
  }));
}
