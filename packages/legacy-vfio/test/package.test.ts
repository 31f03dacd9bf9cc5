import { expect } from 'chai';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('@viommu/legacy-vfio package', () => {
  it('is published under its name with only built sources', () => {
    expect(pkg.name).to.equal('@viommu/legacy-vfio');
    expect(pkg.files).to.deep.equal(['dist/src', 'dist/bundle', 'README.md']);
  });
  it('declares tsyringe the way the toolchain rules ask', () => {
    expect(pkg.peerDependencies).to.have.property('tsyringe');
    expect(pkg.dependencies ?? {}).to.not.have.property('tsyringe');
  });
});
