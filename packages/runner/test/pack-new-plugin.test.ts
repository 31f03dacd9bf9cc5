import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePluginPackage } from '../src/commands/new-plugin.js';
import { viommu } from './cli-helpers.js';

// Inside the workspace, so the generated package resolves @viommu/core, tsyringe, chai and mocha as an installed plugin would.
const PKG_DIR = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(PKG_DIR, '../../node_modules/.bin');
const TSC = join(BIN, 'tsc');
const MOCHA = join(BIN, 'mocha');

describe('viommu new-plugin', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(PKG_DIR, '.new-plugin-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes a package that builds, passes its own tests and declares itself a plugin', () => {
    const dir = join(tmp, 'acme-iommu');
    const r = viommu(['new-plugin', 'acme-iommu', '--dir', dir, '--package', '@acme/viommu-plugin']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.include('wrote @acme/viommu-plugin (-device acme-iommu, vendor acme)');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).to.equal('@acme/viommu-plugin');
    expect(pkg.viommu).to.deep.equal({ plugin: true });
    expect(Object.keys(pkg.peerDependencies)).to.have.members(['@viommu/core', 'tsyringe', 'reflect-metadata']);
    expect(readFileSync(join(dir, 'src/suite.ts'), 'utf8')).to.include("vendor: 'acme'").and.not.match(/__[A-Z_]+__/);
    const tsc = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);
    const mocha = spawnSync(process.execPath, [MOCHA], { cwd: dir, encoding: 'utf8' });
    expect(mocha.status, mocha.stdout + mocha.stderr).to.equal(0);
    expect(mocha.stdout).to.match(/\b9 passing\b/);
  });

  it('refuses bad names and a non-empty folder with one line, exit 2', () => {
    expect(viommu(['new-plugin', 'Acme_IOMMU', '--dir', join(tmp, 'x')])).to.deep.include({
      code: 2,
      err: "viommu: new-plugin: 'Acme_IOMMU' is not a QOM type name (lower case, digits, '-')\n",
    });
    expect(viommu(['new-plugin'])).to.deep.include({ code: 2, err: 'viommu: new-plugin: missing <type-name> (e.g. viommu new-plugin acme-iommu)\n' });
    writePluginPackage(join(tmp, 'y'), { typeName: 'acme-iommu', packageName: 'acme-iommu', vendor: 'acme' });
    expect(viommu(['new-plugin', 'acme-iommu', '--dir', join(tmp, 'y')])).to.deep.include({ code: 2, err: `viommu: new-plugin: ${join(tmp, 'y')} exists and is not empty\n` });
    expect(() => writePluginPackage(join(tmp, 'z'), { typeName: 'a', packageName: 'Bad Name', vendor: 'a' })).to.throw("new-plugin --package: 'Bad Name' is not an npm package name");
  });
});
