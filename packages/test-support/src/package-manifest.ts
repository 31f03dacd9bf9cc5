import { expect } from 'chai';
import { readFileSync } from 'node:fs';

/**
 * The checks every published library's `package.json` passes (`.ci/pack-install.mjs` checks the
 * tarballs themselves): published under `name` with only built sources, tsyringe a peer
 * dependency and never a dependency (one container per process, the host application's).
 */
export function describeLibraryPackage(name: string, manifest: URL): void {
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  describe(`${name} package`, () => {
    it('is published under its name with only built sources', () => {
      expect(pkg.name).to.equal(name);
      expect(pkg.files).to.deep.equal(['dist/src', 'dist/bundle', 'README.md']);
    });
    it('declares tsyringe the way the toolchain rules ask', () => {
      expect(pkg.peerDependencies).to.have.property('tsyringe');
      expect(pkg.dependencies ?? {}).to.not.have.property('tsyringe');
    });
  });
}
