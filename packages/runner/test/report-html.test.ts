import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { suiteToHtml } from '../src/report/html.js';
import type { ReportCase } from '../src/report/case.js';
import { expectingStart, suiteCases, W520_MESSAGE } from './report-fixture.js';

/** Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it). */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where the screenshot goes; `VIOMMU_SCREENSHOT=docs/images/suite-report.png` refreshes the one in the docs. */
const SHOT = process.env.VIOMMU_SCREENSHOT ?? join(tmpdir(), 'viommu-suite-report.png');

/** The suite, one scenario judged against a wrong rule so that the page shows a case not as expected. */
async function build(): Promise<{ cases: ReportCase[]; ids: Awaited<ReturnType<typeof suiteCases>>['ids'] }> {
  const { cases, ids } = await suiteCases();
  return { cases: cases.map((c) => (c.id === ids.intel003 ? expectingStart([c], c.id) : c)), ids };
}

describe('report: self-contained HTML', () => {
  let cases: ReportCase[];
  let ids: Awaited<ReturnType<typeof build>>['ids'];
  let html: string;
  let file: string;
  let dir: string;
  before(async () => {
    ({ cases, ids } = await build());
    html = suiteToHtml(cases);
    dir = mkdtempSync(join(tmpdir(), 'viommu-report-'));
    file = join(dir, 'suite.html');
    writeFileSync(file, html);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is one file that loads nothing: inline style and script, a CSP forbidding any fetch', () => {
    expect(html).to.not.match(/<link\b|\ssrc=|url\(|@import|https?:\/\//i);
    expect(html).to.include(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"`);
  });

  it('same cases, same bytes', async () => {
    expect(suiteToHtml((await build()).cases)).to.equal(html);
  });

  it("shows a cell's trace with a host cap that has bit 63 set (intel-068) as the kernel returned it", () => {
    const at = html.indexOf(`data-case="${ids.r770}"`);
    const cell = html.slice(at, html.indexOf('</td>', at));
    expect(cell).to.include('"cap_reg":"0xf9ed008cee780c66"');
  });

  it('escapes what it shows', () => {
    const c: ReportCase = { id: 'x', vendor: 'v', backend: 'b', profile: '10.0', host: '<h1>', shape: 's', args: 'a&b', error: '<script>alert(1)</script>' };
    const out = suiteToHtml([c]);
    expect(out).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).to.include('<th>&lt;h1&gt;</th>');
  });

  describe('in headless Chromium', function () {
    this.timeout(60000);
    let ctx: BrowserContext | undefined;
    let profileDir: string;
    const requests: string[] = [];

    before(function () {
      if (!existsSync(CHROMIUM)) {
        console.log(`      SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium); the HTML report is not tested in a browser`);
        this.skip();
      }
    });
    afterEach(async () => {
      await ctx?.close();
      ctx = undefined;
      rmSync(profileDir, { recursive: true, force: true });
    });

    async function open(javaScriptEnabled: boolean): Promise<Page> {
      profileDir = mkdtempSync(join(tmpdir(), 'viommu-chromium-'));
      ctx = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        javaScriptEnabled,
        viewport: { width: 1600, height: 1000 },
      });
      ctx.on('request', (r) => void requests.push(r.url()));
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.goto(pathToFileURL(file).href);
      return page;
    }

    it('without JavaScript: the summary reads, filters stay hidden, a cell opens its message and trace', async () => {
      const page = await open(false);
      const rows = await page.locator('table.summary tbody tr').allInnerTexts();
      const of = (p: string, v: string, b: string) => cases.filter((c) => c.profile === p && c.vendor === v && c.backend === b);
      const vendors = [...new Set(cases.map((c) => c.vendor))].sort();
      const want = ['7.2', '10.0'].flatMap((p) => vendors.flatMap((v) => ['iommufd', 'legacy'].flatMap((b) => {
        const cs = of(p, v, b);
        const n = (f: (c: ReportCase) => boolean) => cs.filter(f).length;
        return cs.length ? [[p, v, b, cs.length, n((c) => c.verdict!.ok), n((c) => !c.verdict!.ok), n((c) => c.mismatch !== undefined), 0].join('\t')] : [];
      })));
      expect(rows).to.deep.equal(want);
      const bad = cases.filter((c) => c.mismatch !== undefined).length;
      expect(bad).to.be.at.least(1);
      expect(await page.locator('p').first().innerText()).to.match(new RegExp(`^${cases.length} scenarios: .*; ${bad} not as expected\\.`));
      expect(await page.locator('#filters').isVisible()).to.equal(false);
      const cell = page.locator(`td[data-case="${ids.w520}"]`);
      expect(await cell.locator('.trace').isVisible()).to.equal(false);
      await cell.locator('summary').click();
      expect(await cell.locator('.trace').isVisible()).to.equal(true);
      expect(await cell.locator('.message').innerText()).to.include(W520_MESSAGE);
      expect(await cell.locator('.trace').innerText()).to.include('IOMMU_GET_HW_INFO');
      expect(requests.every((u) => u === pathToFileURL(file).href)).to.equal(true);
    });

    it('with JavaScript: filters by vendor, backend and profile; one cell open at a time; screenshot', async () => {
      const page = await open(true);
      const visibleSections = () => page.locator('section.matrix:visible h2').allInnerTexts();
      expect(await page.locator('#filters').isVisible()).to.equal(true);
      expect(await visibleSections()).to.have.length(2 * new Set(cases.map((c) => c.vendor)).size);
      await page.selectOption('select[name=vendor]', 'arm');
      expect(await visibleSections()).to.deep.equal(['QEMU 7.2 · arm', 'QEMU 10.0 · arm']);
      await page.selectOption('select[name=backend]', 'legacy');
      const legacyArm = [...new Set(cases.filter((c) => c.vendor === 'arm' && c.backend === 'legacy').map((c) => c.shape))];
      expect(await page.locator('section.matrix:visible th.col:visible').allInnerTexts()).to.deep.equal([...legacyArm, ...legacyArm]);
      expect(await page.locator('table.summary tbody tr:visible').count()).to.equal(2);
      await page.selectOption('select[name=vendor]', 'intel');
      await page.selectOption('select[name=backend]', '');
      await page.selectOption('select[name=profile]', '10.0');
      expect(await visibleSections()).to.deep.equal(['QEMU 10.0 · intel']);
      await page.check('input[name=failures]');
      const badHosts = [...new Set(cases.filter((c) => c.profile === '10.0' && c.vendor === 'intel' && c.mismatch !== undefined).map((c) => c.host))];
      expect(badHosts).to.include('intel-003');
      expect(await page.locator('section.matrix:visible tbody tr:visible th').allInnerTexts()).to.deep.equal(badHosts);
      await page.uncheck('input[name=failures]');

      const first = page.locator('section.matrix:visible td.cell.ok').first();
      await first.locator('summary').click();
      expect(await first.locator('.detail').isVisible()).to.equal(true);
      const cell = page.locator(`td[data-case="${ids.w520}"]`);
      await cell.locator('summary').click();
      expect(await first.locator('.detail').isVisible()).to.equal(false);
      expect(await cell.locator('.trace').isVisible()).to.equal(true);
      expect(await cell.locator('.trace').innerText()).to.include('vtd_dev_set_iommu_device');
      mkdirSync(dirname(SHOT), { recursive: true });
      await page.screenshot({ path: SHOT });
      expect(existsSync(SHOT)).to.equal(true);
      expect(requests.every((u) => u === pathToFileURL(file).href)).to.equal(true);
    });
  });
});
