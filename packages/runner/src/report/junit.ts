import { formatVerdict } from '../scenario/verdict.js';
import { caseMismatch, caseStatus, groupBy, type ReportCase } from './case.js';
import { escapeAttr, escapeText } from './escape.js';

/**
 * The suite as JUnit XML (the Ant/Jenkins dialect CI servers read): one `<testsuite>` per
 * vendor × backend, one `<testcase>` per scenario. A case that does not get its expected
 * verdict is a `<failure>` whose message is QEMU's printed line and whose text is the verdict
 * as `viommu check` prints it (refusal, registers, HWPTs, kernel objects, trace); a case that could not run is an `<error>`. A refusal that was expected passes
 * and keeps QEMU's text in `<system-out>`. No times or timestamps: same cases, same bytes.
 */
export function suiteToJUnit(cases: readonly ReportCase[], name = 'viommu suite'): string {
  const suites = groupBy(cases, (c) => `${c.vendor}\u0000${c.backend}`);
  const count = (cs: readonly ReportCase[]) => {
    let failures = 0;
    let errors = 0;
    for (const c of cs) {
      if (caseStatus(c) === 'error') errors++;
      else if (caseMismatch(c) !== undefined) failures++;
    }
    return `tests="${cs.length}" failures="${failures}" errors="${errors}"`;
  };
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${escapeAttr(name)}" ${count(cases)}>`];
  for (const [, cs] of suites) {
    const { vendor, backend } = cs[0]!;
    out.push(`  <testsuite name="${escapeAttr(`${vendor} / ${backend}`)}" ${count(cs)} skipped="0">`);
    out.push('    <properties>');
    out.push(`      <property name="vendor" value="${escapeAttr(vendor)}"/>`);
    out.push(`      <property name="backend" value="${escapeAttr(backend)}"/>`);
    out.push('    </properties>');
    for (const c of cs) out.push(...testcase(c));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

function testcase(c: ReportCase): string[] {
  const head = `    <testcase classname="${escapeAttr(`viommu.${c.vendor}.${c.backend}.${c.profile}`)}" name="${escapeAttr(c.id)}"`;
  const cmd = `host ${c.host}, QEMU ${c.profile}: ${c.args}`;
  const v = c.verdict;
  if (!v) {
    const msg = c.error ?? 'no verdict';
    return [`${head}>`, `      <error message="${escapeAttr(msg)}" type="input">${escapeText(`${cmd}\n${msg}`)}</error>`, '    </testcase>'];
  }
  const mismatch = caseMismatch(c);
  const body = formatVerdict(v);
  if (mismatch !== undefined) {
    const message = v.refusal ? v.refusal.printed : mismatch;
    const type = v.refusal ? 'refused' : 'unexpected-ok';
    return [
      `${head}>`,
      `      <failure message="${escapeAttr(message)}" type="${type}">${escapeText(`${mismatch}\n${cmd}\n${body}`)}</failure>`,
      '    </testcase>',
    ];
  }
  if (!v.refusal) return [`${head}/>`];
  return [`${head}>`, `      <system-out>${escapeText(`${cmd}\n${body}`)}</system-out>`, '    </testcase>'];
}
