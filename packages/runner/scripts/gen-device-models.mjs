#!/usr/bin/env node
// Captures the `-device` model names of the oracle's QEMU binaries (7.2 and 10.0, x86_64 and
// aarch64) into src/input/device-models-data.ts:
//   - `-device help`: the user-creatable models, the bus each plugs into, their aliases;
//   - QMP `qom-list-types implements=device abstract=true`, each type `-device help` leaves out
//     then tried with `-device`: the abstract ones and those not user_creatable;
//   - `-machine <family> -device <model>` for every `bus System` model: whether the machine
//     allows it as a dynamic sysbus device (QEMU's refusal names it).
// `-device help` loads every QOM module, so 10.0 runs from a copy unpacked with its module
// packages too (test/oracle/qemu-modules.ts). Installs 7.2 if missing, as the oracle does.
// Usage: node scripts/gen-device-models.mjs   (run in packages/runner, after a build)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { ORACLE_QEMU, QEMU_ARCHES, fetchSuiteQemu, isRefusal, localDebianHost, mapBounded, qemuSet, runQtest } from '@viommu/core/oracle';
import { MODULE_PACKAGES, modulesRoot, unpackedWithModules } from '../dist/test/oracle/qemu-modules.js';

/** The machine families viommu builds, per target (src/scenario/machine.ts). */
const FAMILIES = { x86_64: ['q35', 'pc'], aarch64: ['virt'] };
const DYNAMIC_SYSBUS_REFUSAL = "Parameter 'driver' expects a dynamic sysbus device type for the machine";

function run(binary, args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(binary.path, [...binary.args, ...args], { env: { ...process.env, ...binary.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || stderr.trim()) reject(new Error(`${binary.path} ${args.join(' ')}: exit ${code}: ${stderr.trim()}`));
      else resolve(stdout);
    });
    child.stdin.end(input);
  });
}

/** `-device help`: `name "e1000", bus PCI, alias "e1000-82540em", desc "…"`. */
async function deviceHelp(binary) {
  const buses = {};
  const aliases = {};
  for (const line of (await run(binary, ['-device', 'help'])).split('\n')) {
    const m = /^name "([^"]+)"(?:, bus ([^,]+))?(?:, alias "([^"]+)")?/.exec(line);
    if (!m) continue;
    (buses[m[2] ?? ''] ??= []).push(m[1]);
    if (m[3]) aliases[m[3]] = m[1];
  }
  return { buses, aliases };
}

/** QMP `qom-list-types` of every device type, abstract ones included. */
async function deviceTypes(binary) {
  const commands = [
    { execute: 'qmp_capabilities' },
    { execute: 'qom-list-types', arguments: { implements: 'device', abstract: true } },
    { execute: 'quit' },
  ];
  const out = await run(binary, ['-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-qmp', 'stdio'], commands.map((c) => `${JSON.stringify(c)}\n`).join(''));
  const list = out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((o) => Array.isArray(o.return));
  if (!list) throw new Error(`${binary.path}: no qom-list-types answer`);
  return list.return;
}

/** QEMU's answer to `-machine <family> -device <name>`: its refusal message, or '' when it got further. */
async function answers(binary, family, names) {
  const results = await mapBounded(names, 4, (name) => runQtest({ binary, args: ['-machine', family, '-device', name.replaceAll(',', ',,')], reads: [] }));
  return results.map((r) => (isRefusal(r) ? r.message : ''));
}

async function capture(binary) {
  const { buses, aliases } = await deviceHelp(binary);
  const creatable = new Set(Object.values(buses).flat());
  // qom-list-types loads every module first; `-device` loads only the module its modinfo names
  // for the model, so a module's base type is unknown there: ask the binary about each name.
  const others = (await deviceTypes(binary)).map((t) => t.name).filter((n) => !creatable.has(n)).sort();
  const said = await answers(binary, FAMILIES[binary.arch][0], others);
  const abstract = others.filter((_, i) => said[i] === "Parameter 'driver' expects a non-abstract device type");
  const notUserCreatable = others.filter((_, i) => said[i] === "Parameter 'driver' expects a pluggable device type");
  const unknown = others.filter((_, i) => said[i] === `'${others[i]}' is not a valid device model name`);
  if (abstract.length + notUserCreatable.length + unknown.length !== others.length) {
    throw new Error(`${binary.path}: unexpected answers: ${others.filter((n) => ![...abstract, ...notUserCreatable, ...unknown].includes(n)).join(', ')}`);
  }
  const dynamicSysbus = {};
  for (const family of FAMILIES[binary.arch]) {
    const sysbus = [...(buses['System'] ?? [])].sort();
    const refused = await answers(binary, family, sysbus);
    dynamicSysbus[family] = sysbus.filter((_, i) => refused[i] !== DYNAMIC_SYSBUS_REFUSAL);
  }
  const sorted = (a) => [...new Set(a)].sort();
  return {
    qemu: binary.versionLine,
    buses: Object.fromEntries(Object.keys(buses).sort().map((b) => [b, sorted(buses[b])])),
    aliases: Object.fromEntries(Object.keys(aliases).sort().map((a) => [a, aliases[a]])),
    abstract: sorted(abstract),
    notUserCreatable: sorted(notUserCreatable),
    dynamicSysbus,
  };
}

const host = localDebianHost();
const source = ORACLE_QEMU['10.0'].source;
await fetchSuiteQemu({ ...source, packages: [...source.packages, ...MODULE_PACKAGES] }, modulesRoot(), QEMU_ARCHES, host);
const sets = { '7.2': await qemuSet('7.2'), '10.0': await unpackedWithModules() };

const data = {};
for (const [version, set] of Object.entries(sets)) {
  data[version] = {};
  for (const arch of QEMU_ARCHES) {
    if (!set[arch].version.startsWith(`${version}.`)) throw new Error(`${set[arch].path} is ${set[arch].versionLine}, not ${version}`);
    data[version][arch] = await capture(set[arch]);
    const c = data[version][arch];
    console.log(`${version} ${arch}: ${Object.values(c.buses).flat().length} user-creatable, ${Object.keys(c.aliases).length} aliases, ${c.abstract.length} abstract, ${c.notUserCreatable.length} not user-creatable (${c.qemu})`);
  }
}
const out = [
  '// Generated by scripts/gen-device-models.mjs from the QEMU binaries it names; do not edit.',
  "import type { CapturedDeviceModels } from './device-models.js';",
  '',
  '/** The device models of the oracle QEMUs, per release and target, as the binaries list them. */',
  `export const CAPTURED_DEVICE_MODELS: Readonly<Record<'7.2' | '10.0', Readonly<Record<'x86_64' | 'aarch64', CapturedDeviceModels>>>> = ${JSON.stringify(data, null, 1)};`,
  '',
].join('\n');
writeFileSync(new URL('../src/input/device-models-data.ts', import.meta.url), out);
console.log('src/input/device-models-data.ts written');
