import { InputError, VIOMMU_PLUGIN_PACKAGE_FIELD } from '@viommu/core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DependencyContainer } from 'tsyringe';

// not `import … from 'node:fs'`: its ESM facade loads Node's streams, which `viommu regs` never needs
const { existsSync, readdirSync, readFileSync } = process.getBuiltinModule('node:fs');

/**
 * The packages the runner always loads: the two VFIO backends and the vendor plugins it
 * ships with. Any other installed package joins by declaring, in its package.json,
 * `"viommu": { "plugin": true }` (`VIOMMU_PLUGIN_PACKAGE_FIELD`) and exporting
 * `register(container: DependencyContainer)`.
 */
export const BUILTIN_PACKAGES: readonly BuiltinPackage[] = [
  { name: '@viommu/iommufd', provides: 'backend' },
  { name: '@viommu/legacy-vfio', provides: 'backend' },
  { name: '@viommu/intel-vtd', provides: 'viommu', devices: ['intel-iommu'], arches: ['x86_64'], drivers: ['intel'] },
  { name: '@viommu/arm-smmuv3', provides: 'viommu', devices: ['arm-smmuv3'], arches: ['aarch64'], drivers: ['arm'] },
];

/**
 * A package the runner ships with, and what it contributes, so a command loads only the
 * packages its input names (`regs` needs only vIOMMUs; `check` one VM on one host).
 */
export interface BuiltinPackage {
  readonly name: string;
  readonly provides: 'backend' | 'viommu';
  /** The `-device` types of its vIOMMU plugins. */
  readonly devices?: readonly string[];
  /** The QEMU targets its vIOMMUs exist in (a machine of the target may create one itself: `virt,iommu=smmuv3`). */
  readonly arches?: readonly string[];
  /** The host IOMMU vendors its driver models probe (`HostIommuUnit.vendor`). */
  readonly drivers?: readonly string[];
}

/** What a command's input names, for discovery to load only the packages it needs. */
export interface DiscoveryNeeds {
  /** `-device` types that need a plugin (not those the engine models itself, like `vfio-pci`). */
  readonly devices: readonly string[];
  /** The target of the machine, whose vIOMMUs the machine's options may create. */
  readonly arch?: string;
  /** Vendors of the host IOMMU units to probe. */
  readonly drivers?: readonly string[];
}

/** A package that contributes to the per-scenario container. */
export interface PluginPackage {
  readonly name: string;
  readonly version: string;
  readonly builtin: boolean;
  register(container: DependencyContainer): void;
}

/** What discovery found, and what it skipped with the reason. */
export interface Discovery {
  readonly packages: readonly PluginPackage[];
  readonly notes: readonly string[];
}

interface PackageJson {
  name?: string;
  version?: string;
  [VIOMMU_PLUGIN_PACKAGE_FIELD]?: { plugin?: boolean };
}

const here = dirname(fileURLToPath(import.meta.url));

/** `node_modules` directories from `dir` up to the file-system root. */
function nodeModulesUpFrom(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    if (dirname(d) === d) return out;
  }
}

function readJson(path: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Installed packages whose package.json has `"viommu": { "plugin": true }`, by name → directory. */
export function findDeclaredPlugins(searchFrom: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const dirs = [...new Set(searchFrom.flatMap(nodeModulesUpFrom))];
  for (const nm of dirs) {
    for (const entry of readdirSync(nm).sort()) {
      const candidates = entry.startsWith('@')
        ? readdirSync(join(nm, entry)).sort().map((n) => join(nm, entry, n))
        : [join(nm, entry)];
      for (const dir of candidates) {
        const pkg = readJson(join(dir, 'package.json'));
        if (pkg?.name && pkg[VIOMMU_PLUGIN_PACKAGE_FIELD]?.plugin === true && !found.has(pkg.name)) found.set(pkg.name, dir);
      }
    }
  }
  return found;
}

async function load(name: string, dir: string | undefined, builtin: boolean): Promise<PluginPackage | string> {
  const require = createRequire(dir ? join(dir, 'package.json') : import.meta.url);
  let entry: string;
  let pkg: PackageJson | undefined;
  try {
    entry = dir ? require.resolve(dir) : require.resolve(name);
    pkg = readJson(join(dir ?? packageDirOf(entry, name), 'package.json'));
  } catch {
    return `${name}: not installed`;
  }
  const mod = (await import(pathToFileURL(entry).href)) as { register?: unknown };
  if (typeof mod.register !== 'function') return `${name}: exports no register(container)`;
  return {
    name,
    version: pkg?.version ?? '0.0.0',
    builtin,
    register: mod.register as (c: DependencyContainer) => void,
  };
}

function packageDirOf(entry: string, name: string): string {
  let d = dirname(entry);
  while (readJson(join(d, 'package.json'))?.name !== name) {
    if (dirname(d) === d) throw new InputError(`cannot find the package.json of ${name}`);
    d = dirname(d);
  }
  return d;
}

/** Whether built-ins have every device type and driver vendor `needs` names. */
function builtinsCover(needs: DiscoveryNeeds): boolean {
  return (
    needs.devices.every((d) => BUILTIN_PACKAGES.some((b) => b.devices?.includes(d))) &&
    (needs.drivers ?? []).every((v) => BUILTIN_PACKAGES.some((b) => b.drivers?.includes(v)))
  );
}

/** A built-in `needs` names: a device type, the target or a driver vendor of it (backends: `viommusOnly` aside, always). */
function needed(b: BuiltinPackage, needs: DiscoveryNeeds, viommusOnly: boolean): boolean {
  if (b.provides === 'backend') return !viommusOnly;
  return (
    !!b.devices?.some((d) => needs.devices.includes(d)) ||
    (needs.arch !== undefined && !!b.arches?.includes(needs.arch)) ||
    !!b.drivers?.some((v) => needs.drivers?.includes(v))
  );
}

/**
 * Loads the built-in packages and every installed package that declares itself a viommu
 * plugin, searching `node_modules` upwards from the runner and from `cwd`. `viommusOnly`
 * skips the built-in backends (for `viommu regs`, which realizes no passthrough device).
 * `needs` (what the input names) loads only the built-ins it names, and skips the search
 * when built-ins cover every device type and driver vendor in it; otherwise every built-in
 * loads, then the declared packages. Order: built-ins in their fixed order, then the others
 * by name, so composition is deterministic.
 */
export async function discoverPlugins(
  opts: { cwd?: string; viommusOnly?: boolean; needs?: DiscoveryNeeds } = {},
): Promise<Discovery> {
  const notes: string[] = [];
  const packages: PluginPackage[] = [];
  const viommusOnly = opts.viommusOnly ?? false;
  const { needs } = opts;
  const covered = needs !== undefined && builtinsCover(needs);
  const declared = covered ? new Map<string, string>() : findDeclaredPlugins([here, opts.cwd ?? process.cwd()]);
  const builtins = BUILTIN_PACKAGES.filter((b) =>
    covered ? needed(b, needs, viommusOnly) : !viommusOnly || b.provides === 'viommu',
  ).map((b) => b.name);
  const wanted: [string, string | undefined, boolean][] = [
    ...builtins.map((n): [string, string | undefined, boolean] => [n, undefined, true]),
    ...[...declared.keys()]
      .filter((n) => !BUILTIN_PACKAGES.some((b) => b.name === n))
      .sort()
      .map((n): [string, string | undefined, boolean] => [n, declared.get(n), false]),
  ];
  for (const got of await Promise.all(wanted.map(([name, dir, builtin]) => load(name, dir, builtin)))) {
    if (typeof got === 'string') notes.push(got);
    else packages.push(got);
  }
  return { packages, notes };
}
