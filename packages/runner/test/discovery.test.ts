import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { discoverPlugins, findDeclaredPlugins } from '../src/plugins/discovery.js';
import { scenarioNeeds } from '../src/plugins/needs.js';
import { RegistrationRecorder } from '../src/plugins/recorder.js';
import { findHost } from '../src/hosts/catalogue.js';
import { parseQemuArgs } from '../src/input/qemu-args.js';
import { VIOMMU_PLUGIN, type ViommuPlugin } from '@viommu/core';
import { CLI, viommu } from './cli-helpers.js';
import { project } from './plugin-project.js';


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

describe('plugin discovery for one scenario (check, migrate)', () => {
  const BACKENDS = ['@viommu/iommufd', '@viommu/legacy-vfio'];
  const names = async (needs: Parameters<typeof discoverPlugins>[0]) => (await discoverPlugins(needs)).packages.map((p) => p.name);

  it('names what the VM and host need: -device types the engine does not model, the machine target, the units\' vendors', () => {
    const vm = parseQemuArgs(['-machine', 'virt,iommu=smmuv3', '-device', 'pcie-root-port,id=rp0', '-device', 'virtio-iommu-pci', '-device', 'vfio-pci,host=0000:01:00.0,bus=rp0', '-device', 'e1000e']);
    expect(scenarioNeeds(vm, [findHost('intel-068')!, findHost('arm-004')!])).to.deep.equal({ devices: ['virtio-iommu-pci', 'e1000e'], arch: 'aarch64', drivers: ['intel', 'arm'] });
    expect(scenarioNeeds(parseQemuArgs(['-device', 'intel-iommu']), [findHost('amd-008')!])).to.deep.equal({ devices: ['intel-iommu'], arch: 'x86_64', drivers: ['amd'] });
  });

  it('built-ins covering every device and vendor: only those, with the backends, and no search (a declared plugin in cwd stays unloaded)', async () => {
    const cwd = project();
    expect(await names({ cwd, needs: { devices: ['intel-iommu'], arch: 'x86_64', drivers: ['intel'] } })).to.deep.equal([...BACKENDS, '@viommu/intel-vtd']);
    expect(await names({ cwd, needs: { devices: [], arch: 'aarch64', drivers: ['arm'] } })).to.deep.equal([...BACKENDS, '@viommu/arm-smmuv3']);
    expect(await names({ cwd, needs: { devices: ['intel-iommu'], arch: 'aarch64', drivers: ['intel'] } })).to.deep.equal([...BACKENDS, '@viommu/intel-vtd', '@viommu/arm-smmuv3']);
    expect(await names({ cwd, viommusOnly: true, needs: { devices: ['arm-smmuv3'] } })).to.deep.equal(['@viommu/arm-smmuv3']);
  });

  it('a device type or a host IOMMU vendor no built-in has: every built-in, then the declared packages', async () => {
    const cwd = project();
    for (const needs of [{ devices: ['toy-iommu'], arch: 'x86_64', drivers: ['intel'] }, { devices: ['intel-iommu'], arch: 'x86_64', drivers: ['amd'] }]) {
      const got = await names({ cwd, needs });
      expect(got.slice(0, 4), JSON.stringify(needs)).to.deep.equal([...BACKENDS, '@viommu/intel-vtd', '@viommu/arm-smmuv3']);
      expect(got).to.include('@acme/viommu-toy');
    }
  });

  it('check finds a third-party vIOMMU in the working directory when a -device names a type no built-in has', () => {
    const cwd = project();
    const run = (device: string) => spawnSync(process.execPath, [CLI, 'check', '--host', 'intel-068', '--qemu', '10.0', '--', '-machine', 'q35', '-device', device], { cwd, encoding: 'utf8' });
    const toy = run('toy-iommu');
    expect(toy.stderr).to.equal('viommu: toy-iommu is not modelled for QEMU 10.0 (its profiles: 10.2)\n');
    expect(toy.status).to.equal(2);
    expect(run('intel-iommu').status).to.equal(0);
  });
});

describe('viommu check start-up', () => {
  const hook = fileURLToPath(new URL('../../test/fixtures/loader/register.mjs', import.meta.url));
  const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/hosts/${name}`, import.meta.url));
  /** Every module URL `check` loads. */
  const loaded = (args: readonly string[]) => {
    const r = spawnSync(process.execPath, ['--import', hook, CLI, 'check', ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.be.oneOf([0, 1]);
    return r.stderr.split('\n').filter((l) => l.startsWith('loaded '));
  };
  const has = (urls: readonly string[], part: string) => urls.some((l) => l.includes(part));
  const VM = ['--qemu', '7.2', '--', '-machine', 'q35,kernel-irqchip=split', '-accel', 'kvm', '-device', 'intel-iommu,caching-mode=on', '-device', 'vfio-pci,host=0000:01:00.0'];

  it('a catalogue host and QEMU arguments: the VT-d plugin and the backends only; no Ajv, XML parser or node_modules search', () => {
    const urls = loaded(['--host', 'intel-016', ...VM]);
    for (const wanted of ['/intel-vtd/', '/iommufd/', '/legacy-vfio/']) expect(has(urls, wanted), wanted).to.equal(true);
    // virtio-iommu is a declared plugin installed next to the runner: the search would load it
    for (const absent of ['/ajv/', 'fast-xml-parser', '/virtio-iommu/']) expect(urls.filter((l) => l.includes(absent)), absent).to.deep.equal([]);
  });

  it('a host profile JSON: the validators compiled at build time, never Ajv\'s compiler; a libvirt XML: its parser', () => {
    const json = loaded(['--host', fixture('qemu-7.2-virt-smmuv3.json'), '--qemu', '7.2', '--', '-machine', 'virt,iommu=smmuv3', '-device', 'vfio-pci,host=0000:00:02.0']);
    expect(has(json, '/ajv/dist/runtime/')).to.equal(true);
    expect(json.filter((l) => l.includes('/ajv/') && !l.includes('/ajv/dist/runtime/'))).to.deep.equal([]);
    expect(has(json, '/arm-smmuv3/')).to.equal(true);
    const dir = mkdtempSync(join(tmpdir(), 'viommu-libvirt-'));
    writeFileSync(join(dir, 'd.xml'), "<domain type='kvm'><os><type arch='x86_64' machine='q35'>hvm</type></os><devices><iommu model='intel'/></devices></domain>");
    expect(has(loaded(['--host', 'intel-016', '--libvirt', join(dir, 'd.xml')]), 'fast-xml-parser')).to.equal(true);
  });
});
