import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { debianArchive } from './apt-sources.js';
import { OracleError } from './errors.js';
import { type Exec, failureLine } from './exec.js';
import type { QemuArch, SuiteQemuSource, SystemQemuSource } from './versions.js';

/** What the install and fetch steps need from the machine; tests pass their own. */
export interface DebianHost {
  readonly exec: Exec;
  /** Whether this process may install packages (root). */
  readonly isRoot: boolean;
  /** Path and text of the machine's apt sources files. */
  readonly aptSources: () => { path: string; text: string }[];
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

/** apt's own words when its package lists lack a package (never fetched, or stale). */
const MISSING_LISTS = /Unable to locate package|has no installation candidate|Unable to fetch some archives|404\s+Not Found/;

/**
 * Installs the distribution's QEMU (`apt-get install -y`), running `apt-get update` first
 * when apt's lists do not know the packages yet, as on a fresh CI image.
 */
export async function installSystemQemu(source: SystemQemuSource, host: DebianHost): Promise<void> {
  const command = `apt-get install -y --no-install-recommends ${source.packages.join(' ')}`;
  if (!host.isRoot) throw new OracleError(`QEMU is not installed and installing it needs root: ${command}`);
  const install = () =>
    host.exec('apt-get', ['install', '-y', '--no-install-recommends', ...source.packages], { env: APT_ENV });
  let result = await install();
  if (result.code !== 0 && MISSING_LISTS.test(result.stderr + result.stdout)) {
    const update = await host.exec('apt-get', ['update', '--error-on=any'], { env: APT_ENV });
    if (update.code !== 0) throw new OracleError(`apt-get update failed: ${failureLine(update.stderr || update.stdout)}`);
    result = await install();
  }
  if (result.code !== 0) throw new OracleError(`${command} failed: ${failureLine(result.stderr || result.stdout)}`);
}

/** The file a complete unpacked suite QEMU carries; its presence makes a fetch a no-op. */
export const MANIFEST = 'viommu-oracle.json';

/**
 * apt options that confine apt to `dir`: its own sources file, lists and cache, so the
 * machine's apt state is untouched (only `/etc/apt/apt.conf.d` and the trusted keys are read).
 */
function aptOptions(dir: string): string[] {
  return [
    ['Dir::Etc::sourcelist', join(dir, 'sources.list')],
    ['Dir::Etc::sourceparts', '-'],
    ['Dir::State::Lists', join(dir, 'lists')],
    ['Dir::Cache', join(dir, 'cache')],
    ['APT::Get::List-Cleanup', '0'],
    ['APT::Sandbox::User', 'root'],
  ].flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

/** The library directories of an unpacked tree (`usr/lib/<multiarch>`, `lib/<multiarch>`). */
export function libraryDirs(root: string): string[] {
  return ['usr/lib', 'lib'].flatMap((d) => {
    const dir = join(root, d);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => n.endsWith('-linux-gnu'))
      .sort()
      .map((n) => join(dir, n));
  });
}

/** Libraries `ldd` cannot resolve for `binary`: sonames, or `soname (VERSION)` for a too-old one. */
export function lddMissing(lddOutput: string): string[] {
  const missing = new Set<string>();
  for (const line of lddOutput.split('\n')) {
    const soname = /^\s*(\S+) => not found/.exec(line)?.[1];
    if (soname) missing.add(soname);
    const version = /version `([^']+)' not found \(required by [^)]*\)/.exec(line);
    const lib = /^\s*\S+: (\S+): version/.exec(line)?.[1];
    if (version) missing.add(`${lib ? basename(lib) : 'a library'} (${version[1]})`);
  }
  return [...missing].sort();
}

/** One relation of a `Depends:` field (first alternative): `libfoo1 (>= 1.2)`. */
interface Relation {
  readonly name: string;
  readonly op?: string;
  readonly version?: string;
}

/** `Depends:` of a .deb (deb-control(5)). */
export function parseDepends(depends: string): Relation[] {
  return depends
    .split(',')
    .map((d) => /^\s*([\w.+-]+)(?::\w+)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?/.exec(d.split('|')[0]!))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, name, op, version]) => ({ name: name!, ...(op && version ? { op, version } : {}) }));
}

/**
 * Fetches `source.packages` from `source.suite` of the machine's Debian archive with
 * `apt-get download` and unpacks them (`dpkg-deb -x`) into `target`, then checks with `ldd`
 * that `qemu-system-<arch>` finds its shared libraries, fetching any the system lacks from
 * the suite (or, failing that, from the release itself). Idempotent: a complete `target`
 * (it holds {@link MANIFEST}) is reused. Work happens in a sibling temporary folder renamed
 * into place at the end, so an interrupted fetch leaves nothing half-unpacked.
 */
export async function fetchSuiteQemu(
  source: SuiteQemuSource,
  target: string,
  arches: readonly QemuArch[],
  host: DebianHost,
): Promise<void> {
  if (existsSync(join(target, MANIFEST))) return;
  mkdirSync(dirname(target), { recursive: true });
  const work = mkdtempSync(join(dirname(target), `.${basename(target)}-`));
  try {
    const root = join(work, 'root');
    const debs = join(work, 'debs');
    for (const d of ['lists/partial', 'cache/archives/partial', 'debs', 'root']) {
      mkdirSync(join(work, d), { recursive: true });
    }
    const archive = debianArchive(host.aptSources(), source.codename);
    const sourcesList = (suites: string[]) =>
      writeFileSync(
        join(work, 'sources.list'),
        suites
          .map((s) => `deb ${archive.signedBy ? `[signed-by=${archive.signedBy}] ` : ''}${archive.uri} ${s} ${source.component}\n`)
          .join(''),
      );
    const apt = async (args: string[], what: string) => {
      const r = await host.exec('apt-get', [...aptOptions(work), ...args], { cwd: debs, env: APT_ENV });
      if (r.code !== 0) throw new OracleError(`${what} from ${archive.uri} failed: ${failureLine(r.stderr || r.stdout)}`);
    };
    const download = (packages: readonly string[], suite?: string) =>
      apt(['download', ...packages.map((p) => (suite ? `${p}/${suite}` : p))], `apt-get download ${packages.join(' ')}`);

    sourcesList([source.suite]);
    await apt(['update', '--error-on=any'], `apt-get update of ${source.suite}`);
    await download(source.packages, source.suite);
    await unpack(debs, root, host.exec);

    const missing = () => missingLibraries(root, arches, host.exec);
    if ((await missing()).length > 0) {
      const wanted = await unsatisfied(await debDepends(debs, host.exec), host.exec);
      for (const pkg of wanted) await download([pkg], source.suite).catch(() => undefined);
      await unpack(debs, root, host.exec);
      if ((await missing()).length > 0) {
        sourcesList([source.suite, source.codename]);
        await apt(['update', '--error-on=any'], `apt-get update of ${source.codename}`);
        for (const pkg of wanted) await download([pkg]).catch(() => undefined);
        await unpack(debs, root, host.exec);
      }
      const still = await missing();
      if (still.length > 0) {
        throw new OracleError(`QEMU from ${source.suite} needs ${still.join(', ')}, which neither this system nor the archive provides`);
      }
    }

    const packages = await Promise.all(
      readdirSync(debs)
        .filter((f) => f.endsWith('.deb'))
        .sort()
        .map(async (f) => {
          const r = await host.exec('dpkg-deb', ['-f', join(debs, f), 'Package', 'Version']);
          const [name, version] = r.stdout.split('\n').map((l) => l.replace(/^\w+: /, ''));
          return { name, version };
        }),
    );
    writeFileSync(join(root, MANIFEST), `${JSON.stringify({ suite: source.suite, archive: archive.uri, packages }, null, 2)}\n`);
    try {
      renameSync(root, target);
    } catch (e) {
      // Another process completed the same fetch first.
      if (!existsSync(join(target, MANIFEST))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function unpack(debs: string, root: string, exec: Exec): Promise<void> {
  for (const f of readdirSync(debs).filter((n) => n.endsWith('.deb')).sort()) {
    const r = await exec('dpkg-deb', ['-x', join(debs, f), root]);
    if (r.code !== 0) throw new OracleError(`dpkg-deb -x ${f} failed: ${failureLine(r.stderr)}`);
  }
}

async function missingLibraries(root: string, arches: readonly QemuArch[], exec: Exec): Promise<string[]> {
  const env = { LD_LIBRARY_PATH: libraryDirs(root).join(':') };
  const found = await Promise.all(
    arches.map(async (arch) => {
      const r = await exec('ldd', [join(root, 'usr/bin', `qemu-system-${arch}`)], { env });
      if (r.code !== 0 && !/not found/.test(r.stdout + r.stderr)) {
        throw new OracleError(`ldd qemu-system-${arch} failed: ${failureLine(r.stderr || r.stdout)}`);
      }
      return lddMissing(r.stdout + r.stderr);
    }),
  );
  return [...new Set(found.flat())].sort();
}

/** The library relations of the downloaded QEMU packages. */
async function debDepends(debs: string, exec: Exec): Promise<Relation[]> {
  const relations: Relation[] = [];
  for (const f of readdirSync(debs).filter((n) => n.startsWith('qemu-') && n.endsWith('.deb')).sort()) {
    const r = await exec('dpkg-deb', ['-f', join(debs, f), 'Depends']);
    relations.push(...parseDepends(r.stdout).filter((d) => d.name.startsWith('lib')));
  }
  return relations;
}

/** Package names among `relations` the system has not installed, or only in a version too old. */
async function unsatisfied(relations: readonly Relation[], exec: Exec): Promise<string[]> {
  const out = new Set<string>();
  for (const rel of relations) {
    const r = await exec('dpkg-query', ['-W', '-f=${db:Status-Abbrev} ${Version}', rel.name]);
    const [, status, installed] = /^(\w+)\s+(\S+)/.exec(r.stdout) ?? [];
    if (r.code !== 0 || status !== 'ii' || !installed) out.add(rel.name);
    else if (rel.op && rel.version) {
      const cmp = await exec('dpkg', ['--compare-versions', installed, DPKG_OP[rel.op] ?? rel.op, rel.version]);
      if (cmp.code !== 0) out.add(rel.name);
    }
  }
  return [...out].sort();
}

/** deb-control(5) relation operators as `dpkg --compare-versions` spells them. */
const DPKG_OP: Record<string, string> = { '>=': 'ge', '<=': 'le', '>>': 'gt', '<<': 'lt', '=': 'eq' };

/** Reads the machine's apt sources files. */
export function readAptSources(etc = '/etc/apt'): { path: string; text: string }[] {
  const files = [join(etc, 'sources.list')];
  const parts = join(etc, 'sources.list.d');
  if (existsSync(parts)) files.push(...readdirSync(parts).sort().map((f) => join(parts, f)));
  return files.filter((f) => existsSync(f)).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}
