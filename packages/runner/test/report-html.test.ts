import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { suiteToHtml } from '../src/report/html.js';
import type { ReportCase } from '../src/report/case.js';
import { reportCases } from './report-fixture.js';

/** Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it). */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where the screenshot goes; `VIOMMU_SCREENSHOT=docs/images/suite-report.png` refreshes the one in the docs. */
const SHOT = process.env.VIOMMU_SCREENSHOT ?? join(tmpdir(), 'viommu-suite-report.png');
const W520_ATTACH = '10.0/intel-001/iommufd/root';

describe('report: self-contained HTML', () => {
  let cases: ReportCase[];
  let html: string;
  let file: string;
  let dir: string;
  before(async () => {
    cases = await reportCases();
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
    expect(suiteToHtml(await reportCases())).to.equal(html);
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
        viewport: { width: 1400, height: 1000 },
      });
      ctx.on('request', (r) => void requests.push(r.url()));
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.goto(pathToFileURL(file).href);
      return page;
    }

    it('without JavaScript: the summary reads, filters stay hidden, a cell opens its message and trace', async () => {
      const page = await open(false);
      const rows = await page.locator('table.summary tbody tr').allInnerTexts();
      expect(rows).to.have.length(8);
      expect(rows[0]).to.match(/^7\.2\tarm-smmuv3\tiommufd\t16\t0\t16\t0\t0$/);
      expect(await page.locator('#filters').isVisible()).to.equal(false);
      const cell = page.locator(`td[data-case="${W520_ATTACH}"]`);
      expect(await cell.locator('.trace').isVisible()).to.equal(false);
      await cell.locator('summary').click();
      expect(await cell.locator('.trace').isVisible()).to.equal(true);
      expect(await cell.locator('.message').innerText()).to.include('vfio 0000:01:00.0: Failed to set vIOMMU: aw-bits 48 > host aw-bits 39');
      expect(await cell.locator('.trace').innerText()).to.include('IOMMU_GET_HW_INFO');
      expect(requests.every((u) => u === pathToFileURL(file).href)).to.equal(true);
    });

    it('with JavaScript: filters by vendor, backend and profile; one cell open at a time; screenshot', async () => {
      const page = await open(true);
      const visibleSections = () => page.locator('section.matrix:visible h2').allInnerTexts();
      expect(await page.locator('#filters').isVisible()).to.equal(true);
      expect(await visibleSections()).to.have.length(4);
      await page.selectOption('select[name=vendor]', 'arm-smmuv3');
      expect(await visibleSections()).to.deep.equal(['QEMU 7.2 · arm-smmuv3', 'QEMU 10.0 · arm-smmuv3']);
      await page.selectOption('select[name=backend]', 'legacy');
      expect(await page.locator('section.matrix:visible th.col:visible').allInnerTexts()).to.deep.equal(['legacy virt,iommu=smmuv3', 'legacy device', 'legacy virt,iommu=smmuv3', 'legacy device']);
      expect(await page.locator('table.summary tbody tr:visible').count()).to.equal(2);
      await page.selectOption('select[name=vendor]', 'intel-iommu');
      await page.selectOption('select[name=backend]', '');
      await page.selectOption('select[name=profile]', '10.0');
      expect(await visibleSections()).to.deep.equal(['QEMU 10.0 · intel-iommu']);

      const first = page.locator('td[data-case="10.0/intel-011/legacy/root"]');
      await first.locator('summary').click();
      expect(await first.locator('.detail').isVisible()).to.equal(true);
      const cell = page.locator(`td[data-case="${W520_ATTACH}"]`);
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
