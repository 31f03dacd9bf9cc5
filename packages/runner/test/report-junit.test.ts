import { expect } from 'chai';
import { parse, type TestSuite, type TestSuites } from 'junit2json';
import { suiteToJUnit } from '../src/report/junit.js';
import type { ReportCase } from '../src/report/case.js';
import { reportCases } from './report-fixture.js';

describe('report: JUnit XML', () => {
  let cases: ReportCase[];
  let doc: TestSuites;
  before(async () => {
    cases = await reportCases();
    doc = (await parse(suiteToJUnit(cases))) as TestSuites;
  });

  it('a 200-scenario suite parses with a JUnit reader: one testsuite per vendor × backend, one testcase per scenario', () => {
    expect(cases.length).to.be.at.least(200);
    expect(doc.tests).to.equal(cases.length);
    const suites = doc.testsuite!;
    expect(suites.map((s) => s.name)).to.deep.equal(['arm-smmuv3 / iommufd', 'arm-smmuv3 / legacy', 'intel-iommu / iommufd', 'intel-iommu / legacy']);
    expect(suites.reduce((n, s) => n + s.testcase!.length, 0)).to.equal(cases.length);
    for (const s of suites) expect(s.tests).to.equal(s.testcase!.length);
    expect(new Set(suites.flatMap((s) => s.testcase!.map((t) => t.name))).size).to.equal(cases.length);
  });

  it('counts failures and errors per testsuite as the cases say', () => {
    for (const s of doc.testsuite!) {
      const tc = s.testcase!;
      expect(s.failures).to.equal(tc.filter((t) => t.failure).length);
      expect(s.errors).to.equal(tc.filter((t) => t.error).length);
    }
    expect(doc.failures).to.equal(cases.filter((c) => c.verdict && !c.verdict.ok).length);
  });

  const testcase = (id: string) => doc.testsuite!.flatMap((s: TestSuite) => s.testcase!).find((t) => t.name === id)!;

  it("a refusal is a failure carrying QEMU's message (QEMU 7.2 binary: no iommufd object)", () => {
    const t = testcase('7.2/intel-001/iommufd/root');
    // qemu-system-x86_64 (7.2) -machine q35 … -object iommufd,id=fd0
    expect(t.failure![0]!.message).to.equal("qemu-system-x86_64: -object iommufd,id=fd0: Parameter 'qom-type' does not accept value 'iommufd'");
    expect(t.failure![0]!.type).to.equal('refused');
    expect(t.failure![0]!.inner).to.include('stage: option-parse');
  });

  it('a refusal at attach carries the message (hw/i386/intel_iommu.c vtd_check_hiod, 10.0) and the whole trace', () => {
    // intel-001 dmar0 cap 0xc0000020e60262: MGAW (bits 21:16) = 38, host aw-bits 39; 10.0's default aw-bits is 48.
    const c = cases.find((x) => x.id === '10.0/intel-001/iommufd/root')!;
    const f = testcase(c.id).failure![0]!;
    expect(f.message).to.equal('qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,iommufd=fd0: vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
    expect(f.inner).to.include('stage: set-iommu-device');
    expect(f.inner).to.include(`trace:\n${c.verdict!.trace.format()}`);
    expect(f.inner).to.include('IOMMU_GET_HW_INFO');
  });

  it('an expected refusal passes and keeps the text in system-out; a wrong message fails', async () => {
    const c = cases.find((x) => x.id === '7.2/intel-001/iommufd/root')!;
    const expected: ReportCase = { ...c, expect: { ok: false, message: "Parameter 'qom-type' does not accept value 'iommufd'" } };
    const wrong: ReportCase = { ...c, id: 'wrong', expect: { ok: false, message: 'something else' } };
    const d = (await parse(suiteToJUnit([expected, wrong]))) as TestSuites;
    const [pass, fail] = d.testsuite![0]!.testcase!;
    expect(pass!.failure).to.equal(undefined);
    expect(pass!['system-out']![0]).to.include("Parameter 'qom-type' does not accept value 'iommufd'");
    expect(fail!.failure![0]!.inner).to.match(/^expected the message 'something else'\n/);
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
    const again = await reportCases();
    expect(suiteToJUnit(again)).to.equal(suiteToJUnit(cases));
    expect(suiteToJUnit(cases)).to.not.match(/timestamp=|time=/);
  });
});
