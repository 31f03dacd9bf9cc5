import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  type DebianHost,
  type Exec,
  type ExecResult,
  MANIFEST,
  ORACLE_QEMU,
  OracleError,
  type SuiteQemuSource,
  type SystemQemuSource,
  debianArchive,
  fetchSuiteQemu,
  installSystemQemu,
  lddMissing,
  parseDepends,
  qemuSet,
} from '@viommu/core/oracle';
import { expectOracleError } from './oracle-helpers.js';

const MIRROR = 'http://mirror.example/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

describe('oracle: apt sources', () => {
  const deb822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: ${MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: ${KEYRING}

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
`;
  it('takes the URI and keyring of the deb822 entry for the release', () => {
    expect(debianArchive([{ path: '/etc/apt/sources.list.d/debian.sources', text: deb822 }], 'bookworm')).to.deep.equal({
      uri: MIRROR,
      signedBy: KEYRING,
    });
  });
  it('reads one-line entries with options and skips disabled stanzas', () => {
    const disabled = `Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n`;
    const list = `# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] ${MIRROR} bookworm main contrib\n`;
    expect(
      debianArchive(
        [
          { path: '/etc/apt/sources.list.d/a.sources', text: disabled },
          { path: '/etc/apt/sources.list', text: list },
        ],
        'bookworm',
      ),
    ).to.deep.equal({ uri: MIRROR, signedBy: '/k.gpg' });
  });
  it('falls back to another release of the same archive, never to the security archive', () => {
    const trixie = `Types: deb\nURIs: http://security.example/debian-security\nSuites: trixie-security\n\nTypes: deb\nURIs: ${MIRROR}\nSuites: trixie trixie-updates\n`;
    expect(debianArchive([{ path: 'x.sources', text: trixie }], 'bookworm')).to.deep.equal({ uri: MIRROR });
  });
  it('says which files it read when none names a Debian archive', () => {
    expect(() => debianArchive([{ path: '/etc/apt/sources.list', text: 'deb http://security.example/d bookworm-security main\n' }], 'bookworm')).to.throw(
      OracleError,
      'no Debian archive in apt sources (/etc/apt/sources.list) to fetch bookworm packages from',
    );
  });
});

describe('oracle: ldd and Depends', () => {
  it('lists unresolved sonames and too-old symbol versions', () => {
    const ldd = [
      '\tlinux-vdso.so.1 (0x00007ffc8a3f2000)',
      '\tlibslirp.so.0 => /lib/x86_64-linux-gnu/libslirp.so.0 (0x00007f0000000000)',
      '\tlibfdt.so.1 => not found',
      '/q/usr/bin/qemu-system-x86_64: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38\' not found (required by /q/usr/bin/qemu-system-x86_64)',
    ].join('\n');
    expect(lddMissing(ldd)).to.deep.equal(['libc.so.6 (GLIBC_2.38)', 'libfdt.so.1']);
    expect(lddMissing('\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n')).to.deep.equal([]);
  });
  it('parses a Depends field: first alternative, operator and version', () => {
    expect(parseDepends('libaio1 (>= 0.3.93), libc6 (>= 2.34), seabios (>> 1.16.3-1~), ipxe-qemu | ipxe, libfuse3-3:amd64')).to.deep.equal([
      { name: 'libaio1', op: '>=', version: '0.3.93' },
      { name: 'libc6', op: '>=', version: '2.34' },
      { name: 'seabios', op: '>>', version: '1.16.3-1~' },
      { name: 'ipxe-qemu' },
      { name: 'libfuse3-3' },
    ]);
  });
});

/** A scripted machine: each command answers from `answer`, every call is recorded. */
function fakeHost(answer: (cmd: string, args: readonly string[], cwd?: string) => Partial<ExecResult>, opts: { isRoot?: boolean } = {}) {
  const calls: string[] = [];
  const exec: Exec = async (cmd, args, o = {}) => {
    calls.push([cmd, ...args.filter((a, i) => a !== '-o' && args[i - 1] !== '-o')].join(' '));
    return { code: 0, stdout: '', stderr: '', ...answer(cmd, args, o.cwd) };
  };
  const host: DebianHost = {
    exec,
    isRoot: opts.isRoot ?? true,
    aptSources: () => [{ path: '/etc/apt/sources.list', text: `deb [signed-by=${KEYRING}] ${MIRROR} bookworm main\n` }],
  };
  return { host, calls };
}

describe('oracle: installing the system QEMU', () => {
  const source = ORACLE_QEMU['7.2'].source as SystemQemuSource;
  const install = 'apt-get install -y --no-install-recommends qemu-system-x86 qemu-system-arm';

  it('installs without touching the lists when apt knows the packages', async () => {
    const { host, calls } = fakeHost(() => ({}));
    await installSystemQemu(source, host);
    expect(calls).to.deep.equal([install]);
  });
  it('runs apt-get update first on a machine without lists, then installs', async () => {
    let updated = false;
    const { host, calls } = fakeHost((_, args) => {
      if (args[0] === 'update') updated = true;
      return args[0] === 'install' && !updated ? { code: 100, stderr: 'E: Unable to locate package qemu-system-x86\n' } : {};
    });
    await installSystemQemu(source, host);
    expect(calls).to.deep.equal([install, 'apt-get update --error-on=any', install]);
  });
  it('fails with one line when the network is down, or apt fails otherwise', async () => {
    const offline = fakeHost((_, args) =>
      args[0] === 'update'
        ? { code: 100, stderr: "W: Failed to fetch http://mirror.example/debian/dists/bookworm/InRelease  Temporary failure resolving 'mirror.example'\nE: Some index files failed to download.\n" }
        : { code: 100, stderr: 'E: Unable to locate package qemu-system-x86\n' },
    );
    await expectOracleError(
      installSystemQemu(source, offline.host),
      "apt-get update failed: W: Failed to fetch http://mirror.example/debian/dists/bookworm/InRelease  Temporary failure resolving 'mirror.example'",
    );
    const locked = fakeHost(() => ({ code: 100, stderr: 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 7 (apt-get)\n' }));
    await expectOracleError(installSystemQemu(source, locked.host), `${install} failed: E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 7 (apt-get)`);
    expect(locked.calls).to.deep.equal([install]);
  });
  it('does not try without root, and says what to run', async () => {
    const { host, calls } = fakeHost(() => ({}), { isRoot: false });
    await expectOracleError(installSystemQemu(source, host), `QEMU is not installed and installing it needs root: ${install}`);
    expect(calls).to.deep.equal([]);
  });
});

describe('oracle: fetching a suite QEMU into the cache', () => {
  const source = ORACLE_QEMU['10.0'].source as SuiteQemuSource;
  let cache: string;
  beforeEach(() => (cache = mkdtempSync(join(tmpdir(), 'viommu-cache-'))));
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  /**
   * apt-get, dpkg-deb, dpkg-query and ldd as a bookworm machine answers them; `download`
   * writes `<pkg>.deb`, `dpkg-deb -x` creates the package's marker file. `libs` are the
   * sonames ldd reports missing until their package is unpacked.
   */
  function debianMachine(opts: { libs?: Record<string, string>; archiveHas?: string[]; updateError?: string } = {}) {
    const sources: string[] = [];
    const unpacked = new Set<string>();
    return fakeHost((cmd, args, cwd) => {
      const opt = (k: string) => args.find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1);
      if (cmd === 'apt-get') {
        if (opt('Dir::Etc::sourceparts') !== '-' || !opt('Dir::State::Lists')?.startsWith(cache)) return { code: 1, stderr: 'E: not confined' };
        const verb = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-o');
        if (verb === 'update') {
          sources.push(readFileSync(opt('Dir::Etc::sourcelist')!, 'utf8'));
          return opts.updateError ? { code: 100, stderr: opts.updateError } : {};
        }
        for (const p of args.slice(args.indexOf('download') + 1)) {
          const name = p.split('/')[0]!;
          if (name.startsWith('lib') && !(opts.archiveHas ?? []).includes(p)) return { code: 100, stderr: `E: Can't find a distribution for '${p}'` };
          writeFileSync(join(cwd!, `${name}.deb`), name);
        }
        return {};
      }
      if (cmd === 'dpkg-deb' && args[0] === '-x') {
        const pkg = basename(args[1]!, '.deb');
        unpacked.add(pkg);
        for (const arch of ['x86_64', 'aarch64']) {
          if (pkg === 'qemu-system-x86' || pkg === 'qemu-system-arm') mkdirSync(join(args[2]!, 'usr/bin'), { recursive: true });
          if (pkg === (arch === 'x86_64' ? 'qemu-system-x86' : 'qemu-system-arm')) writeFileSync(join(args[2]!, `usr/bin/qemu-system-${arch}`), '');
        }
        if (pkg === 'qemu-system-data') mkdirSync(join(args[2]!, 'usr/share/qemu'), { recursive: true });
        return {};
      }
      if (cmd === 'dpkg-deb' && args[0] === '-f') {
        const pkg = basename(args[1]!, '.deb');
        return args[2] === 'Depends'
          ? { stdout: `${Object.values(opts.libs ?? {}).map((p) => `${p} (>= 2)`).join(', ')}${opts.libs ? ', ' : ''}libc6 (>= 2.34)\n` }
          : { stdout: `Package: ${pkg}\nVersion: 1:10.0.2+ds-2+deb13u1~bpo12+1\n` };
      }
      if (cmd === 'dpkg' && args.join(' ') === '--compare-versions 2.36-9+deb12u10 ge 2.34') return {};
      if (cmd === 'dpkg-query') return args.at(-1) === 'libc6' ? { stdout: 'ii  2.36-9+deb12u10' } : { code: 1 };
      if (cmd === 'ldd') {
        const missing = Object.entries(opts.libs ?? {}).filter(([, pkg]) => !unpacked.has(pkg));
        return { stdout: missing.map(([so]) => `\t${so} => not found\n`).join('') + '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n' };
      }
      return { code: 127, stderr: `${cmd}: unexpected in this test` };
    });
  }

  it('downloads exactly the packages from the suite with confined apt state, unpacks them and writes a manifest', async () => {
    const machine = debianMachine();
    const target = join(cache, '10.0');
    await fetchSuiteQemu(source, target, ['x86_64', 'aarch64'], machine.host);
    expect(machine.calls.filter((c) => c.startsWith('apt-get'))).to.deep.equal([
      'apt-get update --error-on=any',
      'apt-get download qemu-system-x86/bookworm-backports qemu-system-arm/bookworm-backports qemu-system-common/bookworm-backports qemu-system-data/bookworm-backports seabios/bookworm-backports',
    ]);
    const manifest = JSON.parse(readFileSync(join(target, MANIFEST), 'utf8'));
    expect(manifest.suite).to.equal('bookworm-backports');
    expect(manifest.archive).to.equal(MIRROR);
    expect(manifest.packages.map((p: { name: string }) => p.name)).to.deep.equal(['qemu-system-arm', 'qemu-system-common', 'qemu-system-data', 'qemu-system-x86', 'seabios']);
    expect(existsSync(join(target, 'usr/bin/qemu-system-aarch64'))).to.equal(true);
    expect(readdirSync(cache)).to.deep.equal(['10.0']);

    const again = debianMachine();
    await fetchSuiteQemu(source, target, ['x86_64', 'aarch64'], again.host);
    expect(again.calls).to.deep.equal([]);
  });
  it('names the suite in a private sources list built from the machine URI and keyring', async () => {
    const machine = debianMachine({ updateError: 'E: Failed to fetch http://mirror.example/debian/dists/bookworm-backports/InRelease  Could not resolve host\n' });
    await expectOracleError(
      fetchSuiteQemu(source, join(cache, '10.0'), ['x86_64'], machine.host),
      `apt-get update of bookworm-backports from ${MIRROR} failed: E: Failed to fetch http://mirror.example/debian/dists/bookworm-backports/InRelease  Could not resolve host`,
    );
    expect(readdirSync(cache)).to.deep.equal([]);
  });
  it('fetches a library the system lacks from the suite when ldd misses it', async () => {
    const machine = debianMachine({ libs: { 'libfdt.so.1': 'libfdt1' }, archiveHas: ['libfdt1/bookworm-backports'] });
    await fetchSuiteQemu(source, join(cache, '10.0'), ['x86_64', 'aarch64'], machine.host);
    expect(machine.calls).to.include('apt-get download libfdt1/bookworm-backports');
    expect(machine.calls.filter((c) => c === 'apt-get update --error-on=any')).to.have.length(1);
  });
  it('then from the release itself, and fails with the sonames when neither has it', async () => {
    const found = debianMachine({ libs: { 'libfdt.so.1': 'libfdt1' }, archiveHas: ['libfdt1'] });
    await fetchSuiteQemu(source, join(cache, '10.0'), ['x86_64'], found.host);
    expect(found.calls.filter((c) => c.startsWith('apt-get'))).to.deep.equal([
      'apt-get update --error-on=any',
      'apt-get download qemu-system-x86/bookworm-backports qemu-system-arm/bookworm-backports qemu-system-common/bookworm-backports qemu-system-data/bookworm-backports seabios/bookworm-backports',
      'apt-get download libfdt1/bookworm-backports',
      'apt-get update --error-on=any',
      'apt-get download libfdt1',
    ]);
    rmSync(join(cache, '10.0'), { recursive: true });

    const missing = debianMachine({ libs: { 'libfdt.so.1': 'libfdt1' } });
    await expectOracleError(
      fetchSuiteQemu(source, join(cache, '10.0'), ['x86_64'], missing.host),
      'QEMU from bookworm-backports needs libfdt.so.1, which neither this system nor the archive provides',
    );
    expect(readdirSync(cache)).to.deep.equal([]);
  });
});

describe('oracle: locating a cached QEMU', () => {
  let cache: string;
  beforeEach(() => (cache = mkdtempSync(join(tmpdir(), 'viommu-cache-'))));
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  function unpacked(version: string): void {
    const root = join(cache, '10.0');
    for (const d of ['usr/bin', 'usr/share/qemu', 'usr/lib/x86_64-linux-gnu/qemu']) mkdirSync(join(root, d), { recursive: true });
    for (const arch of ['x86_64', 'aarch64']) {
      const bin = join(root, 'usr/bin', `qemu-system-${arch}`);
      writeFileSync(bin, `#!/bin/sh\necho "QEMU emulator version ${version} (Debian)"\n`);
      chmodSync(bin, 0o755);
    }
    writeFileSync(join(root, MANIFEST), '{}\n');
  }

  it('runs it with its data folder, libraries and modules', async () => {
    unpacked('10.0.2');
    const set = await qemuSet('10.0', { cacheDir: cache, install: false });
    const root = join(cache, '10.0');
    expect(set.version).to.equal('10.0.2');
    expect(set.aarch64).to.deep.include({
      path: join(root, 'usr/bin/qemu-system-aarch64'),
      versionLine: 'QEMU emulator version 10.0.2 (Debian)',
      args: ['-L', join(root, 'usr/share/qemu')],
      env: { LD_LIBRARY_PATH: join(root, 'usr/lib/x86_64-linux-gnu'), QEMU_MODULE_DIR: join(root, 'usr/lib/x86_64-linux-gnu/qemu') },
    });
  });
  it('refuses a binary of another version', async () => {
    unpacked('9.2.0');
    await expectOracleError(
      qemuSet('10.0', { cacheDir: cache, install: false }),
      `${join(cache, '10.0/usr/bin/qemu-system-x86_64')} is QEMU 9.2.0, not 10.0.x ('QEMU emulator version 9.2.0 (Debian)')`,
    );
  });
  it('does not fetch when told not to install', async () => {
    await expectOracleError(
      qemuSet('10.0', { cacheDir: cache, install: false }),
      `QEMU 10.0 is not in ${join(cache, '10.0')} (fetched from bookworm-backports when install is on)`,
    );
  });
});
