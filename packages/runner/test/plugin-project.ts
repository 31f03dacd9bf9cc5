import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A project directory with one third-party package declaring `"viommu": { "plugin": true }`
 * (`@acme/viommu-toy`: a `toy-iommu` vIOMMU modelled for QEMU 10.2 only, no registers), one
 * that declares it but exports no `register`, and one that does not declare it.
 */
export function project(): string {
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
