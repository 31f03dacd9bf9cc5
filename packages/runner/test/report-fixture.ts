import 'reflect-metadata';
import { suiteReportCases } from '../src/report/from-suite.js';
import type { ReportCase } from '../src/report/case.js';
import { compare, runSuite, type SuiteResult } from '../src/suite/run.js';

/** The real suite on QEMU 7.2 and 10.0 (both vendors, both backends, every catalogue host). */
export async function suiteCases(): Promise<{ result: SuiteResult; cases: ReportCase[] }> {
  const result = await runSuite({ profiles: ['7.2', '10.0'] });
  return { result, cases: suiteReportCases(result) };
}

/** The case `id` judged against a wrong expectation (QEMU starts), through the suite's own comparison. */
export function expectingStart(cases: readonly ReportCase[], id: string): ReportCase {
  const c = cases.find((x) => x.id === id)!;
  return { ...c, expected: 'QEMU starts', mismatch: compare({ ok: true, why: 'a wrong rule' }, c.verdict!) };
}

/** ThinkPad W520 (intel-001): dmar0 MGAW 38 (host aw-bits 39) < 10.0's default aw-bits 48. */
export const W520_ATTACH = 'intel/caching-mode/iommufd/root-bus/10.0/intel-001';
/** QEMU 7.2 has no iommufd object. */
export const NO_IOMMUFD_72 = 'intel/caching-mode/iommufd/root-bus/7.2/intel-001';

/** Dell PowerEdge R770 (intel-068): cap 0xf9ed008cee780c66, bit 63 set; QEMU 10.0 starts with iommufd. */
export const R770_START = 'intel/caching-mode/iommufd/root-bus/10.0/intel-068';

/** The case `id` judged against a wrong expectation (QEMU refuses). */
export function expectingRefusal(cases: readonly ReportCase[], id: string): ReportCase {
  const c = cases.find((x) => x.id === id)!;
  return { ...c, expected: 'QEMU refuses', mismatch: compare({ ok: false, why: 'a wrong rule' }, c.verdict!) };
}
