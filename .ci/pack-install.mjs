#!/usr/bin/env node
// Each package installs alone: packs every workspace package with `npm pack`, checks what each
// tarball holds and declares, installs the tarballs into empty temporary projects (core + one
// vendor + one backend; then everything) and runs them there, and finally follows
// docs/writing-a-plugin.md literally (its `sh` blocks, in order) to build, pack, install and run
// a third-party plugin. Needs a built tree (`npm run build`) and the npm cache for third-party
// dependencies (tsyringe, ajv, mocha, typescript, …). Prints the tarball sizes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'viommu-pack-'));
const env = {
  ...process.env,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};
const started = process.hrtime.bigint();
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

/** Runs a bash command in `cwd`; on failure prints its output and exits. */
function sh(cmd, cwd) {
  try {
    return execFileSync('bash', ['-c', cmd], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    process.stderr.write(`pack-install: '${cmd}' failed in ${cwd} (exit ${e.status})\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    process.exit(1);
  }
}

function project(name, tarballs) {
  const dir = join(work, name);
  mkdirSync(dir);
  sh('npm init -y >/dev/null', dir);
  sh(`npm install ${tarballs.map((t) => JSON.stringify(t)).join(' ')}`, dir);
  return dir;
}

// 1. Pack every published workspace package (private ones, the shared test helpers, never
// leave the repository) and look inside each tarball.
const tarDir = join(work, 'tarballs');
mkdirSync(tarDir);
const published = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces.filter(
  (w) => JSON.parse(readFileSync(join(root, w, 'package.json'), 'utf8')).private !== true,
);
const workspaceArgs = published.map((w) => `--workspace ${JSON.stringify(w)}`).join(' ');
const packed = JSON.parse(sh(`npm pack ${workspaceArgs} --pack-destination ${JSON.stringify(tarDir)} --json`, root));
const names = new Set(packed.map((p) => p.name));
const tgz = Object.fromEntries(packed.map((p) => [p.name, join(tarDir, p.filename)]));
for (const p of packed) {
  const files = p.files.map((f) => f.path);
  const pkg = JSON.parse(readFileSync(join(root, 'packages', p.name.replace('@viommu/', ''), 'package.json'), 'utf8'));
  const leaks = files.filter(
    (f) =>
      !f.startsWith('templates/') &&
      (/(^|\/)test\//.test(f) || /\.test\.[a-z.]+$/.test(f) || /^src\//.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) || /tsbuildinfo|\.mocharc/.test(f)),
  );
  check(leaks.length === 0, `${p.name}: test files or sources in the tarball: ${leaks.slice(0, 5).join(', ')}`);
  const entry = pkg.exports?.['.'];
  for (const f of [entry?.types, entry?.default, ...Object.values(pkg.bin ?? {})]) {
    check(typeof f === 'string' && files.includes(f.replace(/^\.\//, '')), `${p.name}: exports/bin name ${f}, which the tarball lacks`);
  }
  const isApp = pkg.bin !== undefined;
  for (const peer of ['tsyringe', 'reflect-metadata']) {
    if (isApp) check(pkg.dependencies?.[peer] !== undefined, `${p.name}: the CLI must depend on ${peer}`);
    else check(pkg.peerDependencies?.[peer] !== undefined && pkg.dependencies?.[peer] === undefined, `${p.name}: ${peer} must be a peer dependency`);
  }
  for (const d of Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@viommu/'))) {
    check(names.has(d), `${p.name}: depends on ${d}, which is not packed`);
  }
}

// 2. core + one vendor + one backend: exports, DI registration and types work without the runner.
const ALONE = [
  { vendor: '@viommu/intel-vtd', backend: '@viommu/legacy-vfio', token: 'VFIO_IOMMU_LEGACY', typeName: 'intel-iommu', driver: 'intel' },
  { vendor: '@viommu/arm-smmuv3', backend: '@viommu/iommufd', token: 'VFIO_IOMMU_IOMMUFD', typeName: 'arm-smmuv3', driver: 'arm' },
];
for (const a of ALONE) {
  const what = `core + ${a.vendor} + ${a.backend}`;
  const dir = project(a.vendor.replace('@viommu/', ''), [tgz['@viommu/core'], tgz[a.vendor], tgz[a.backend]]);
  writeFileSync(
    join(dir, 'use.mjs'),
    `import 'reflect-metadata';
import { container } from 'tsyringe';
import { VIOMMU_PLUGIN, IOMMU_DRIVER, KERNEL_SUBSYSTEM, ${a.token} } from '@viommu/core';
import { qemuSet } from '@viommu/core/oracle';
import * as vendor from '${a.vendor}';
import * as backend from '${a.backend}';
const c = container.createChildContainer();
vendor.register(c);
backend.register(c);
const [plugin] = c.resolveAll(VIOMMU_PLUGIN);
console.log(JSON.stringify({
  typeName: plugin.manifest.typeName,
  flags: typeof plugin.viommuFlags('10.0', {}),
  properties: plugin.properties('10.0').length > 0,
  driver: c.resolveAll(IOMMU_DRIVER).map((d) => d.vendor),
  subsystem: c.isRegistered(KERNEL_SUBSYSTEM),
  backend: c.isRegistered(${a.token}),
  oracle: typeof qemuSet,
}));
`,
  );
  const used = sh('node use.mjs', dir).trim();
  const want = { typeName: a.typeName, flags: 'bigint', properties: true, driver: [a.driver], subsystem: true, backend: true, oracle: 'function' };
  check(used === JSON.stringify(want), `${what}: ${used}`);
  // Types: a wrong call must be a type error (an unresolved declaration would make it `any`).
  writeFileSync(
    join(dir, 'use.ts'),
    `import { VIOMMU_PLUGIN, type ViommuPlugin } from '@viommu/core';
import { register } from '${a.vendor}';
import type { DependencyContainer } from 'tsyringe';
export function flags(p: ViommuPlugin): bigint {
  // @ts-expect-error: the profile is a ProfileId
  p.viommuFlags('9.9', {});
  return p.viommuFlags('10.0', {});
}
export const token = VIOMMU_PLUGIN;
export const reg: (c: DependencyContainer) => void = register;
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, noEmit: true, types: [], skipLibCheck: true }, files: ['use.ts'] }),
  );
  sh(`node ${JSON.stringify(join(root, 'node_modules/typescript/bin/tsc'))} -p .`, dir);
}

// 3. core + runner + everything: the bin works from the install alone.
const full = project('everything', packed.map((p) => tgz[p.name]));
const version = sh('npx viommu --version', full).trim();
check(version === JSON.parse(readFileSync(join(root, 'packages/runner/package.json'), 'utf8')).version, `viommu --version: ${version}`);
const listed = JSON.parse(sh('npx viommu plugins --json', full)).packages.map((p) => p.package);
for (const want of ['@viommu/iommufd', '@viommu/legacy-vfio', '@viommu/intel-vtd', '@viommu/arm-smmuv3', '@viommu/virtio-iommu']) {
  check(listed.includes(want), `viommu plugins: ${want} missing (${listed.join(', ')})`);
}
const suite = JSON.parse(sh('npx viommu suite --vendor intel --backend iommufd --qemu 10.2 --json', full));
check(suite.scenarios > 0 && suite.failed === 0, `installed viommu suite: ${suite.scenarios} scenarios, ${suite.failed} failed`);
// The runner as a library, as its index documents it, in JavaScript and through its types.
writeFileSync(
  join(full, 'lib.ts'),
  `import { Composition, loadHost, parseQemuArgs, runScenario, type Verdict } from '@viommu/runner';
import { findProfile } from '@viommu/core';
const comp = await Composition.create();
const host = await loadHost('intel-001'), profile = findProfile('10.0')!;
const argv = ['-machine', 'q35', '-accel', 'kvm', '-device', 'intel-iommu,caching-mode=on,aw-bits=39', '-device', 'vfio-pci,host=0000:01:00.0'];
const verdict: Verdict = runScenario(comp.scenario(host, profile), parseQemuArgs(argv), host, profile);
// @ts-expect-error: a verdict has no such field
verdict.nope;
console.log(JSON.stringify({ ok: verdict.ok }));
`,
);
writeFileSync(
  join(full, 'tsconfig.json'),
  JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, types: [], skipLibCheck: true }, files: ['lib.ts'] }),
);
writeFileSync(join(full, 'package.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(full, 'package.json'), 'utf8')), type: 'module' }));
sh(`node ${JSON.stringify(join(root, 'node_modules/typescript/bin/tsc'))} -p .`, full);
const lib = sh('node lib.js', full).trim();
check(lib === '{"ok":true}', `@viommu/runner as a library: ${lib}`);
const leaked = sh(`grep -rlF ${JSON.stringify(root)} node_modules/@viommu || true`, full).trim();
check(leaked === '', `installed files name the build tree: ${leaked}`);

// 4. docs/writing-a-plugin.md, literally: its sh blocks in order, @viommu/* from the tarballs.
const guide = readFileSync(join(root, 'docs/writing-a-plugin.md'), 'utf8');
const blocks = [...guide.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const fromTarballs = `npm install ${packed.map((p) => JSON.stringify(tgz[p.name])).join(' ')}`;
const script = blocks.join('').replace(/^npm install @viommu\/runner$/m, fromTarballs);
check(script !== blocks.join(''), 'the guide no longer installs @viommu/runner');
const guideDir = join(work, 'guide');
mkdirSync(guideDir);
writeFileSync(join(guideDir, 'guide.sh'), `set -euo pipefail\n${script}`);
const out = sh('bash guide.sh', guideDir);
check(/^acme-iommu@0\.1\.0$/m.test(out) && /vIOMMU acme-iommu \(acme; qemu-system-x86_64\)/.test(out), 'the guide: viommu plugins does not list acme-iommu');
const ran = /^(\d+) scenarios, (\d+) as expected, 0 failed$/m.exec(out);
check(ran !== null && ran[1] === ran[2] && Number(ran[1]) > 0, 'the guide: viommu suite --vendor acme did not run acme scenarios cleanly');
check(/^OK: /m.test(out), 'the guide: viommu check of acme-iommu,aw-bits=39 on intel-001 was not OK');
// The outputs the guide shows (its text blocks) are what the CLI prints.
let refused = '';
try {
  execFileSync('npx', ['viommu', 'check', '--host', 'intel-001', '--', '-machine', 'q35', '-accel', 'kvm', '-device', 'acme-iommu', '-device', 'vfio-pci,host=0000:01:00.0'], {
    cwd: join(guideDir, 'viommu-plugins'), env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (e) {
  refused = e.status === 1 ? e.stdout : '';
}
check(refused !== '', 'the guide: check with the default aw-bits did not exit 1');
for (const [, text] of guide.matchAll(/^```text\n([\s\S]*?)^```$/gm)) {
  check(out.includes(text) || refused.includes(text), `the guide shows output the CLI does not print:\n${text}`);
}
const plugin = JSON.parse(sh('npm pack --dry-run --json', join(guideDir, 'viommu-plugins/acme-iommu')))[0];

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log('package                 tarball    unpacked  files');
for (const p of [...packed, plugin]) {
  console.log(`${p.name.padEnd(22)}  ${kib(p.size).padStart(9)}  ${kib(p.unpackedSize).padStart(10)}  ${String(p.entryCount).padStart(5)}`);
}
console.log(`acme-iommu (the guide): ${ran ? `${ran[1]} suite scenarios as expected` : 'suite did not run'}`);
console.log(`pack-install: ${((Number(process.hrtime.bigint() - started) / 1e9)).toFixed(1)} s`);
if (failures.length) {
  for (const f of failures) console.error(`FAIL ${f}`);
  console.error(`pack-install: projects kept in ${work}`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
console.log('pack-install: ok');
