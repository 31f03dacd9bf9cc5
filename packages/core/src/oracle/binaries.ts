import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DebianHost, fetchSuiteQemu, installSystemQemu, libraryDirs, readAptSources } from './debian.js';
import { OracleError } from './errors.js';
import { type Exec, execFile } from './exec.js';
import { ORACLE_QEMU, ORACLE_VERSIONS, QEMU_ARCHES, type OracleVersion, type QemuArch } from './versions.js';

/** A QEMU system emulator the oracle can run, with what it needs to run from where it is. */
export interface QemuBinary {
  readonly path: string;
  readonly arch: QemuArch;
  /** `7.2.22`, from `--version`. */
  readonly version: string;
  /** The first line of `--version`: `QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`. */
  readonly versionLine: string;
  /** Arguments placed before the caller's: `-L <datadir>` for an unpacked QEMU. */
  readonly args: readonly string[];
  /** Environment for an unpacked QEMU: `LD_LIBRARY_PATH`, `QEMU_MODULE_DIR`. */
  readonly env: Readonly<Record<string, string>>;
}

/** The binaries of one QEMU release. */
export interface QemuSet {
  readonly version: string;
  readonly x86_64: QemuBinary;
  readonly aarch64: QemuBinary;
}

/** `QEMU emulator version 10.0.2 (Debian …)` → `{ version: '10.0.2', line }`. */
export function parseQemuVersion(output: string): { version: string; line: string } {
  const line = output.split('\n')[0]!.trim();
  const version = /^QEMU emulator version (\d+\.\d+\.\d+)/.exec(line)?.[1];
  if (!version) throw new OracleError(`not a QEMU --version answer: '${line}'`);
  return { version, line };
}

/**
 * Describes the QEMU at `path` by running it with `--version` (under `extra.env`).
 * Use it for a QEMU of your own (an upstream build) with {@link runQtest}.
 */
export async function probeQemuBinary(
  path: string,
  arch: QemuArch,
  extra: { readonly args?: readonly string[]; readonly env?: Readonly<Record<string, string>> } = {},
  exec: Exec = execFile,
): Promise<QemuBinary> {
  if (!existsSync(path)) throw new OracleError(`${path}: not found`);
  const r = await exec(path, ['--version'], { env: extra.env ?? {} });
  if (r.code !== 0) throw new OracleError(`${path} --version failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}`);
  const { version, line } = parseQemuVersion(r.stdout);
  return { path, arch, version, versionLine: line, args: extra.args ?? [], env: extra.env ?? {} };
}

/**
 * Where unpacked QEMU releases live: `$VIOMMU_QEMU_CACHE`, else `.cache/qemu` at the root of
 * the workspace this module is installed in (the folder whose package.json has
 * `workspaces`), else `~/.cache/viommu/qemu`.
 */
export function defaultQemuCacheDir(): string {
  const env = process.env['VIOMMU_QEMU_CACHE'];
  if (env) return env;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in (JSON.parse(readFileSync(pkg, 'utf8')) as object)) {
      return join(dir, '.cache', 'qemu');
    }
  }
  return join(homedir(), '.cache', 'viommu', 'qemu');
}

export interface QemuBinariesOptions {
  /** Install or fetch a missing QEMU (default true). False: a missing QEMU is an {@link OracleError}. */
  readonly install?: boolean;
  readonly cacheDir?: string;
  readonly host?: DebianHost;
}

/** This machine as the install steps see it. */
export function localDebianHost(): DebianHost {
  return { exec: execFile, isRoot: process.getuid?.() === 0, aptSources: () => readAptSources() };
}

/**
 * The x86_64 and aarch64 binaries of QEMU `version`, installed or fetched when missing and
 * checked with `--version`.
 */
export async function qemuSet(version: OracleVersion, options: QemuBinariesOptions = {}): Promise<QemuSet> {
  const { install = true, cacheDir = defaultQemuCacheDir(), host = localDebianHost() } = options;
  const { source, versionPrefix } = ORACLE_QEMU[version];
  let located: { bindir: string; args: string[]; env: Record<string, string> };
  if (source.kind === 'system') {
    const present = QEMU_ARCHES.every((a) => existsSync(join(source.bindir, `qemu-system-${a}`)));
    if (!present) {
      if (!install) throw new OracleError(`QEMU ${version} is not installed (apt-get install -y ${source.packages.join(' ')})`);
      await installSystemQemu(source, host);
    }
    located = { bindir: source.bindir, args: [], env: {} };
  } else {
    const root = join(cacheDir, version);
    if (!existsSync(root)) {
      if (!install) throw new OracleError(`QEMU ${version} is not in ${root} (fetched from ${source.suite} when install is on)`);
      await fetchSuiteQemu(source, root, QEMU_ARCHES, host);
    }
    located = unpackedLayout(root);
  }
  const [x86_64, aarch64] = await Promise.all(
    QEMU_ARCHES.map((arch) => probeQemuBinary(join(located.bindir, `qemu-system-${arch}`), arch, located, host.exec)),
  );
  for (const b of [x86_64!, aarch64!]) {
    if (!b.version.startsWith(versionPrefix)) {
      throw new OracleError(`${b.path} is QEMU ${b.version}, not ${version}.x ('${b.versionLine}')`);
    }
  }
  return { version: x86_64!.version, x86_64: x86_64!, aarch64: aarch64! };
}

/** How to run a QEMU unpacked under `root`: its data folders, libraries and modules. */
function unpackedLayout(root: string): { bindir: string; args: string[]; env: Record<string, string> } {
  const args = ['usr/share/qemu', 'usr/share/seabios']
    .map((d) => join(root, d))
    .filter((d) => existsSync(d))
    .flatMap((d) => ['-L', d]);
  const libs = libraryDirs(root);
  const modules = libs.map((d) => join(d, 'qemu')).find((d) => existsSync(d));
  const env: Record<string, string> = {};
  if (libs.length > 0) env['LD_LIBRARY_PATH'] = libs.join(':');
  if (modules) env['QEMU_MODULE_DIR'] = modules;
  return { bindir: join(root, 'usr/bin'), args, env };
}

/** Every oracle QEMU release: `{ '7.2': {x86_64, aarch64, version}, '10.0': {…} }`. */
export async function qemuBinaries(options: QemuBinariesOptions = {}): Promise<Record<OracleVersion, QemuSet>> {
  const out = {} as Record<OracleVersion, QemuSet>;
  // One at a time: two apt runs would contend for dpkg's lock.
  for (const v of ORACLE_VERSIONS) out[v] = await qemuSet(v, options);
  return out;
}
