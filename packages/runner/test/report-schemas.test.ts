import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSchema, loadSchema, validator } from '../src/schema/validate.js';
import { viommu } from './cli-helpers.js';

const Q35_FD = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm', '-device', 'intel-iommu,caching-mode=on', '-object', 'iommufd,id=fd0', '-device', 'vfio-pci,host=0000:01:00.0,iommufd=fd0'];
/** intel-001 (ThinkPad W520): dmar0 MGAW 38 → host aw-bits 39 < 10.0's default 48 (vtd_check_hiod). */
const W520_MESSAGE = 'vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39';

describe('report: JSON Schemas, checked with Ajv', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'viommu-schemas-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof data === 'string' ? data : JSON.stringify(data));
    return p;
  };

  it('each published schema compiles in strict mode under its urn id', () => {
    for (const n of ['verdict', 'suite-result', 'scenario', 'scenario-run'] as const) {
      expect(loadSchema(n).$id).to.equal(`urn:viommu:${n}:1`);
      expect(validator(n)).to.be.a('function');
    }
  });

  it('the validators compiled at build time (src/schema/validators.ts) are what the schemas generate', () => {
    const script = new URL('../../scripts/gen-validators.mjs', import.meta.url);
    const r = spawnSync(process.execPath, [script.pathname, '--check'], { encoding: 'utf8' });
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
  });

  it('check --json validates, refused and not (a host cap with bit 63 set in the trace)', () => {
    const refused = viommu(['check', '--host', 'intel-001', '--qemu', '10.0', '--json', '--', ...Q35_FD]);
    expect(refused.code).to.equal(1);
    const v = JSON.parse(refused.out);
    checkSchema('verdict', v, 'check --json');
    expect(v.refusal.message).to.equal(W520_MESSAGE);
    const ok = viommu(['check', '--host', 'intel-068', '--qemu', '10.0', '--json', '--', ...Q35_FD]);
    expect(ok.code).to.equal(0);
    checkSchema('verdict', JSON.parse(ok.out), 'check --json');
    expect(ok.out).to.include('"cap_reg": "0xf9ed008cee780c66"');
  });

  it('the verdict schema keeps 64-bit words as lowercase hex strings: bit 63 in, 65 bits, numbers and upper case out', () => {
    const base = JSON.parse(viommu(['check', '--host', 'intel-068', '--qemu', '10.0', '--json', '--', ...Q35_FD]).out);
    const withCap = (cap: unknown) => ({ ...base, viommus: [{ ...base.viommus[0], registers: { ...base.viommus[0].registers, cap } }] });
    expect(() => checkSchema('verdict', withCap('0xf9ed008cee780c66'), 'v')).to.not.throw();
    expect(() => checkSchema('verdict', withCap('0x1f9ed008cee780c66'), 'v')).to.throw('v: not a valid verdict (schemas/verdict.schema.json): /viommus/0/registers/cap: must match pattern');
    expect(() => checkSchema('verdict', withCap(0xd2008c222f0686), 'v')).to.throw('/viommus/0/registers/cap: must be string');
    expect(() => checkSchema('verdict', withCap('0xF9ED008CEE780C66'), 'v')).to.throw('must match pattern');
    expect(() => checkSchema('verdict', { ...base, ok: false }, 'v')).to.throw("(root): must have required property 'refusal'");
  });

  it('suite --json validates', () => {
    const r = viommu(['suite', '--qemu', '10.0', '--json']);
    const doc = JSON.parse(r.out);
    checkSchema('suite-result', doc, 'suite --json');
    expect(doc.scenarios).to.be.at.least(200);
  });

  it('check --scenario FILE: a valid file runs and meets its expectation; its --json verdicts validate', () => {
    const p = file('ok.json', [
      { name: 'W520 iommufd', host: 'intel-001', qemu: '10.0', qemuArgs: Q35_FD, expect: { ok: false, message: W520_MESSAGE } },
      { host: 'intel-068', qemu: '10.0', qemuArgs: Q35_FD.join(' '), expect: { ok: true } },
    ]);
    const text = viommu(['check', '--scenario', p, '--no-trace']);
    expect(text.code).to.equal(0);
    expect(text.out).to.include('== W520 iommufd: as expected\n');
    expect(text.out).to.include(`== ${p}#2: as expected\n`);
    const json = viommu(['check', '--scenario', p, '--json']);
    const runs = JSON.parse(json.out);
    expect(runs.map((r: { name: string }) => r.name)).to.deep.equal(['W520 iommufd', `${p}#2`]);
    checkSchema('scenario-run', runs, 'check --scenario --json');
    const wrong = viommu(['check', '--scenario', file('wrong.json', { host: 'intel-001', qemu: '10.0', qemuArgs: Q35_FD, expect: { ok: true } }), '--no-trace']);
    expect(wrong.code).to.equal(1);
    expect(wrong.out).to.match(/^== .*wrong\.json#1: NOT AS EXPECTED \(expected QEMU to start\)\n/);
    const wrongJson = JSON.parse(viommu(['check', '--scenario', join(dir, 'wrong.json'), '--json']).out);
    checkSchema('scenario-run', wrongJson, 'check --scenario --json');
    expect(wrongJson[0].unmet).to.equal('expected QEMU to start');
  });

  it('the scenario file of docs/reports.md validates and meets its expectations', () => {
    const doc = readFileSync(new URL('../../../../docs/reports.md', import.meta.url), 'utf8');
    const p = file('doc.json', /```json\n([\s\S]*?)```/.exec(doc)![1]!);
    const r = viommu(['check', '--scenario', p, '--no-trace']);
    expect(r.code).to.equal(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('=='))).to.deep.equal(['== ThinkPad W520, iommufd, QEMU 10.0: as expected', '== the same guest with aw-bits=39: as expected']);
  });

  it('refuses a scenario file that breaks the schema, naming the file and the JSON path', () => {
    const cases: [unknown, string][] = [
      [[{ host: 'intel-001', qemuArgs: 5 }], '/0/qemuArgs: must be array'],
      [{ host: 'intel-001', qemuArgs: '-m 1', extra: 1 }, "(root): must NOT have additional properties 'extra'"],
      [[{ host: 'intel-001', qemuArgs: [], expect: { ok: true } }], '/0/qemuArgs: must NOT have fewer than 1 items'],
      [[{ qemuArgs: ['-m', '1'] }], "/0: must have required property 'host'"],
    ];
    for (const [data, why] of cases) {
      const p = file('bad.json', data);
      const r = viommu(['check', '--scenario', p]);
      expect(r.code, JSON.stringify(data)).to.equal(2);
      expect(r.err).to.equal(`viommu: ${p}: not a valid scenario (schemas/scenario.schema.json): ${why}\n`);
    }
    const notJson = file('nj.json', '{"host": ');
    expect(viommu(['check', '--scenario', notJson]).err).to.match(new RegExp(`^viommu: ${notJson}: not JSON: `));
    expect(viommu(['check', '--scenario', notJson, '--host', 'intel-001']).err).to.equal(
      'viommu: check: --scenario FILE names hosts, profiles and command lines itself: give none of --host, --qemu, --libvirt, --cmdline, --\n',
    );
  });
});
