import { expect } from 'chai';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const root = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'));

describe('@viommu/runner package', () => {
  it('is published under its name with only built sources, the published schemas and the plugin template', () => {
    expect(pkg.name).to.equal('@viommu/runner');
    expect(pkg.files).to.deep.equal(['dist/src', 'dist/bundle', 'schemas', 'templates', 'README.md']);
  });
  it('declares tsyringe the way the toolchain rules ask', () => {
    expect(pkg.dependencies).to.have.property('tsyringe');
    expect(pkg.bin).to.deep.equal({ viommu: './dist/bundle/cli.js' });
  });
  it('is on the workspace PATH after npm ci: npm links bins before prepare builds dist/, so prepare links again', () => {
    expect(root.scripts.prepare).to.equal('npm run build && npm rebuild --ignore-scripts @viommu/runner');
  });
});
