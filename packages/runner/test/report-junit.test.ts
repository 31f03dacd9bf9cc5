import { expect } from 'chai';
import { parse, type TestCase, type TestSuites } from 'junit2json';
import { suiteToJUnit } from '../src/report/junit.js';
import type { ReportCase } from '../src/report/case.js';
import type { SuiteResult } from '../src/suite/run.js';
import { expectingRefusal, expectingStart, suiteCases, W520_MESSAGE } from './report-fixture.js';

describe('report: JUnit XML', () => {
  let cases: ReportCase[];
  let doc: TestSuites;
  let ids: Awaited<ReturnType<typeof suiteCases>>['ids'];
  let result: SuiteResult;
  before(async () => {
    ({ cases, ids, result } = await suiteCases());
    doc = (await parse(suiteToJUnit(cases))) as TestSuites;
  });
  const testcases = (d: TestSuites) => d.testsuite!.flatMap((s) => s.testcase!);
  const testcase = (d: TestSuites, id: string): TestCase => testcases(d).find((t) => t.name === id)!;

  it('the suite (≥ 200 scenarios) parses with a JUnit reader: one testsuite per vendor × backend, one testcase per scenario', () => {
    expect(cases.length).to.be.at.least(200);
    expect(doc.tests).to.equal(cases.length);
    const pairs = [...new Set(cases.map((c) => `${c.vendor} / ${c.backend}`))].sort();
    expect(pairs).to.include.members(['arm / iommufd', 'arm / legacy', 'intel / iommufd', 'intel / legacy']);
    expect(doc.testsuite!.map((s) => s.name)).to.deep.equal(pairs);
    expect(testcases(doc)).to.have.length(cases.length);
    for (const s of doc.testsuite!) expect(s.tests).to.equal(s.testcase!.length);
    expect(new Set(testcases(doc).map((t) => t.name))).to.have.property('size', cases.length);
  });

  it('failures are the suite\'s failures; an expected refusal keeps QEMU\'s text and trace in system-out', () => {
    expect(doc.failures).to.equal(result.failures.length);
    expect(doc.errors).to.equal(0);
    const out = testcase(doc, ids.noIommufd72)['system-out']![0]!;
    // qemu-system-x86_64 (7.2) -machine q35 … -object iommufd,id=fd0
    expect(out).to.include("qemu-system-x86_64: -object iommufd,id=fd0: Parameter 'qom-type' does not accept value 'iommufd'");
    expect(out).to.include('stage: option-parse');
  });

  it("a scenario not as expected is a failure: QEMU's printed line (vtd_check_hiod, hw/i386/intel_iommu.c 10.0), the suite's reason, the trace", async () => {
    const wrong = expectingStart(cases, ids.w520);
    const d = (await parse(suiteToJUnit(cases.map((c) => (c.id === ids.w520 ? wrong : c))))) as TestSuites;
    expect(d.failures).to.equal(doc.failures! + 1);
    expect(d.testsuite!.find((s) => s.name === 'intel / iommufd')!.failures).to.equal(doc.testsuite!.find((s) => s.name === 'intel / iommufd')!.failures! + 1);
    const f = testcase(d, ids.w520).failure![0]!;
    expect(f.type).to.equal('refused');
    expect(f.message).to.equal(`qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: ${W520_MESSAGE}`);
    expect(f.inner).to.include(wrong.mismatch!);
    expect(f.inner).to.include('stage: set-iommu-device');
    expect(f.inner).to.include(`trace:\n${wrong.verdict!.trace.format()}`);
    expect(f.inner).to.include('IOMMU_GET_HW_INFO');
  });

  it('a start where a refusal was expected is a failure too; the trace keeps a 64-bit host cap with bit 63 set', async () => {
    const d = (await parse(suiteToJUnit([expectingRefusal(cases, ids.r770)]))) as TestSuites;
    const f = d.testsuite![0]!.testcase![0]!.failure![0]!;
    expect(f.type).to.equal('unexpected-ok');
    expect(f.message).to.match(/^expected refused \(a wrong rule\); got ok$/);
    expect(f.inner).to.include('"cap_reg":"0xf9ed008cee780c66"');
  });

  it('a scenario that could not run is an error; XML-hostile text survives the round trip', async () => {
    const hostile = 'bad <"&\'> \u0001 value\nsecond line';
    const c: ReportCase = { id: 'x<&>', vendor: 'v"', backend: 'b', profile: '10.0', host: 'h', shape: 's', args: '-device a,b=<c>', error: hostile };
    const d = (await parse(suiteToJUnit([c]))) as TestSuites;
    expect(d.errors).to.equal(1);
    const t = d.testsuite![0]!.testcase![0]!;
    expect(t.name).to.equal('x<&>');
    expect(t.error![0]!.message).to.equal('bad <"&\'> \\x01 value\nsecond line');
  });

  it('same cases, same bytes (no times, no timestamps)', async () => {
    const again = (await suiteCases()).cases;
    expect(suiteToJUnit(again)).to.equal(suiteToJUnit(cases));
    expect(suiteToJUnit(cases)).to.not.match(/timestamp=|time=/);
  });
});
