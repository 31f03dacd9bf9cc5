import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, type TestSuites } from 'junit2json';
import { viommu } from './cli-helpers.js';

describe('viommu suite --junit / --html', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'viommu-reports-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes both reports next to the table; no progress bar when stderr is not a terminal', async () => {
    const xml = join(dir, 'suite.xml');
    const html = join(dir, 'suite.html');
    const r = viommu(['suite', '--qemu', '10.0', '--junit', xml, '--html', html]);
    expect(r.err).to.equal('');
    const [, total, failed] = /^(\d+) scenarios, \d+ as expected, (\d+) failed$/m.exec(r.out)!;
    const n = Number(total);
    expect(r.code).to.equal(Number(failed) ? 1 : 0);
    expect(n).to.be.at.least(200);
    const doc = (await parse(readFileSync(xml, 'utf8'))) as TestSuites;
    expect(doc.tests).to.equal(n);
    expect(doc.failures).to.equal(Number(failed));
    const page = readFileSync(html, 'utf8');
    expect(page).to.match(/^<!DOCTYPE html>/);
    expect(page.match(/<td class="cell /g)).to.have.length(n);
    expect(page).to.include('<h2>QEMU 10.0 · intel</h2>');
  });

  it('--junit - writes the XML to stdout after the table; an unwritable path is one line, exit 2', () => {
    const r = viommu(['suite', '--qemu', '10.0', '--vendor', 'arm', '--junit', '-']);
    expect(r.out).to.include('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="viommu suite"');
    const bad = viommu(['suite', '--vendor', 'arm', '--junit', join(dir, 'missing', 'x.xml')]);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.equal(`viommu: --junit: cannot write ${join(dir, 'missing', 'x.xml')}: ENOENT\n`);
  });
});
