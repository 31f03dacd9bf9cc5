import 'reflect-metadata';
import { suiteReportCases } from '../src/report/from-suite.js';
import type { ReportCase } from '../src/report/case.js';
import { compare, runSuite, type SuiteResult } from '../src/suite/run.js';

/** intel-001 (ThinkPad W520): dmar0 MGAW 38 → host aw-bits 39 < 10.0's default 48 (vtd_check_hiod). */
export const W520_MESSAGE = 'vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39';

/** The first case of `host` on `profile` with `backend` that `is` picks; its id. */
function pick(cases: readonly ReportCase[], host: string, profile: string, backend: string, is: (c: ReportCase) => boolean): string {
  const c = cases.find((x) => x.host === host && x.profile === profile && x.backend === backend && is(x));
  if (!c) throw new Error(`no ${backend} case on ${host} with QEMU ${profile} in the suite`);
  return c.id;
}

/**
 * The real suite on QEMU 7.2 and 10.0 (both vendors, both backends, every catalogue host), and
 * the ids of the cases the report tests look at, found by what they are (not by rule names).
 */
export async function suiteCases(): Promise<{ result: SuiteResult; cases: ReportCase[]; ids: Record<'w520' | 'noIommufd72' | 'r770' | 'intel003', string> }> {
  const result = await runSuite({ profiles: ['7.2', '10.0'] });
  const cases = suiteReportCases(result);
  const ids = {
    /** ThinkPad W520 on 10.0 with iommufd: refused at attach (W520_MESSAGE). */
    w520: pick(cases, 'intel-001', '10.0', 'iommufd', (c) => c.verdict?.refusal?.message === W520_MESSAGE),
    /** QEMU 7.2 has no iommufd object. */
    noIommufd72: pick(cases, 'intel-001', '7.2', 'iommufd', (c) => c.verdict?.refusal?.stage === 'option-parse'),
    /** Dell PowerEdge R770 (intel-068): cap 0xf9ed008cee780c66, bit 63 set; 10.0 starts with iommufd. */
    r770: pick(cases, 'intel-068', '10.0', 'iommufd', (c) => c.verdict?.ok === true),
    /** A refusal on intel-003 (10.0, iommufd), for a case judged against a wrong rule. */
    intel003: pick(cases, 'intel-003', '10.0', 'iommufd', (c) => c.verdict?.ok === false),
  };
  return { result, cases, ids };
}

/** The case `id` judged against a wrong expectation (QEMU starts), through the suite's own comparison. */
export function expectingStart(cases: readonly ReportCase[], id: string): ReportCase {
  const c = cases.find((x) => x.id === id)!;
  return { ...c, expected: 'QEMU starts', mismatch: compare({ ok: true, why: 'a wrong rule' }, c.verdict!) };
}

/** The case `id` judged against a wrong expectation (QEMU refuses). */
export function expectingRefusal(cases: readonly ReportCase[], id: string): ReportCase {
  const c = cases.find((x) => x.id === id)!;
  return { ...c, expected: 'QEMU refuses', mismatch: compare({ ok: false, why: 'a wrong rule' }, c.verdict!) };
}
