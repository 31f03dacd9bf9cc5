import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPlugins, findDeclaredPlugins } from '../src/plugins/discovery.js';
import { RegistrationRecorder } from '../src/plugins/recorder.js';
import { VIOMMU_PLUGIN, type ViommuPlugin } from '@viommu/core';
import { viommu } from './cli-helpers.js';

/** A project with one third-party package declaring `"viommu": { "plugin": true }` and one that does not. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'viommu-proj-'));
  const pkg = (name: string, json: object, src: string) => {
    const dir = join(root, 'node_modules', ...name.split('/'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.2.3', type: 'module', main: 'index.js', ...json }));
    writeFileSync(join(dir, 'index.js'), src);
  };
  const plugin = `export function register(c) { c.register(Symbol.for('viommu.ViommuPlugin'), { useValue: { manifest: { typeName: 'toy-iommu', vendor: 'toy', arch: 'x86_64', qemuBinary: 'qemu-system-x86_64', defaultMachine: 'q35', profiles: ['10.2'], registers: [] } } }); }`;
  pkg('@acme/viommu-toy', { viommu: { plugin: true } }, plugin);
  pkg('not-a-plugin', {}, 'export function register() { throw new Error("must not load"); }');
  pkg('@acme/broken', { viommu: { plugin: true } }, 'export const x = 1;');
  return root;
}

describe('plugin discovery', () => {
  it('finds installed packages by the package.json field "viommu": { "plugin": true }', () => {
    const found = findDeclaredPlugins([project()]);
    expect([...found.keys()].filter((n) => n.startsWith('@acme') || n === 'not-a-plugin')).to.deep.equal(['@acme/broken', '@acme/viommu-toy']);
  });

  it('loads built-ins first, then declared packages by name; one without register() is noted, not loaded', async () => {
    const d = await discoverPlugins({ cwd: project() });
    const names = d.packages.map((p) => p.name);
    expect(names.slice(0, 4)).to.deep.equal(['@viommu/iommufd', '@viommu/legacy-vfio', '@viommu/intel-vtd', '@viommu/arm-smmuv3']);
    expect(names.slice(4)).to.deep.equal([...names.slice(4)].sort());
    expect(names).to.include('@acme/viommu-toy');
    const toy = d.packages.find((p) => p.name === '@acme/viommu-toy')!;
    expect(toy).to.include({ version: '1.2.3', builtin: false });
    expect(d.notes).to.contain('@acme/broken: exports no register(container)');
    const rec = new RegistrationRecorder();
    toy.register(rec.asContainer());
    expect(rec.values<ViommuPlugin>(VIOMMU_PLUGIN).map((p) => p.manifest.typeName)).to.deep.equal(['toy-iommu']);
  });

  it('viommu plugins lists packages with versions, vIOMMUs and profiles', () => {
    const r = viommu(['plugins', '--json']);
    const list = JSON.parse(r.out);
    const intel = list.packages.find((p: { package: string }) => p.package === '@viommu/intel-vtd');
    expect(intel).to.deep.include({ version: '0.1.0', builtin: true, drivers: ['intel'] });
    expect(intel.viommus[0]).to.deep.include({ typeName: 'intel-iommu', vendor: 'intel', profiles: ['7.2', '10.0', '10.2', 'upstream'] });
    expect(list.packages.find((p: { package: string }) => p.package === '@viommu/iommufd').provides).to.include('VFIO iommufd backend');
  });
});
