/**
 * Where the oracle's QEMU builds come from, per version profile. Versions are data: adding
 * a QEMU means adding an entry here, not a branch in the code.
 */

/** The QEMU releases the oracle can run. */
export type OracleVersion = '7.2' | '10.0';

/** The QEMU targets the oracle runs: x86 for intel-iommu, Arm for arm-smmuv3. */
export type QemuArch = 'x86_64' | 'aarch64';

export const QEMU_ARCHES: readonly QemuArch[] = ['x86_64', 'aarch64'];

/** A QEMU the distribution installs (`apt-get install`), run from `bindir`. */
export interface SystemQemuSource {
  readonly kind: 'system';
  readonly packages: readonly string[];
  readonly bindir: string;
}

/**
 * A QEMU fetched from another suite of the machine's Debian archive (`apt-get download`)
 * and unpacked into the oracle's cache, leaving the system untouched.
 */
export interface SuiteQemuSource {
  readonly kind: 'suite';
  /** The release whose archive entry in the machine's apt sources names the mirror. */
  readonly codename: string;
  readonly suite: string;
  readonly component: string;
  /** Exactly what running `qemu-system-{x86_64,aarch64}` under qtest needs. */
  readonly packages: readonly string[];
}

export interface OracleQemu {
  /** `--version` must say `QEMU emulator version <versionPrefix>…`. */
  readonly versionPrefix: string;
  readonly source: SystemQemuSource | SuiteQemuSource;
}

export const ORACLE_QEMU: Readonly<Record<OracleVersion, OracleQemu>> = {
  // Debian 12 (bookworm): 1:7.2+dfsg-7+deb12u*.
  '7.2': {
    versionPrefix: '7.2.',
    source: { kind: 'system', packages: ['qemu-system-x86', 'qemu-system-arm'], bindir: '/usr/bin' },
  },
  // bookworm-backports: 1:10.0.2+ds-2+deb13u1~bpo12+1. seabios: qemu-system-x86 depends on
  // seabios >> 1.16.3-1~, newer than bookworm's 1.16.2 (q35 loads bios-256k.bin at start-up).
  '10.0': {
    versionPrefix: '10.0.',
    source: {
      kind: 'suite',
      codename: 'bookworm',
      suite: 'bookworm-backports',
      component: 'main',
      packages: ['qemu-system-x86', 'qemu-system-arm', 'qemu-system-common', 'qemu-system-data', 'seabios'],
    },
  },
};

export const ORACLE_VERSIONS = Object.keys(ORACLE_QEMU) as OracleVersion[];
