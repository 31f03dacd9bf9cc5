import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '@viommu/core';
import { rejected, thrown } from '@viommu/test-support';
import { findHost, hostToJson, importHost, loadHost } from '../src/hosts/index.js';
import { writeTree } from './hosts-tree.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/hosts');
const fixture = (name: string) => join(FIXTURES, name);
const inputError = (f: () => unknown): InputError => thrown(InputError, f);
const rejection = (p: Promise<unknown>): Promise<InputError> => rejected(InputError, p);

describe('importHost: kernel boot logs', () => {
  const cases: [file: string, id: string][] = [
    ['intel-001.dmesg.txt', 'intel-001'],
    ['intel-002.dmesg.txt', 'intel-002'],
    ['intel-020.dmesg-T.txt', 'intel-020'],
    ['intel-105.old-form.txt', 'intel-105'],
    ['intel-115.journal.txt', 'intel-115'],
    ['intel-068.dmesg.txt', 'intel-068'],
    ['intel-038.markdown.txt', 'intel-038'],
    ['arm-003.dmesg.txt', 'arm-003'],
    ['arm-009.dmesg.txt', 'arm-009'],
    ['arm-006.dmesg.txt', 'arm-006'],
  ];
  for (const [file, id] of cases) {
    it(`${file} gives the registers the catalogue printed for ${id}`, () => {
      const { host } = importHost(fixture(file));
      const known = findHost(id)!;
      expect(host.units.map((u) => [u.name, u.registers, u.regBase, u.version, u.extra])).to.deep.equal(known.units.map((u) => [u.name, u.registers, u.regBase, u.version, u.extra]));
    });
  }

  it('says what it found, line by line, and what it assumed', () => {
    const r = importHost(fixture('intel-001.dmesg.txt'));
    expect(r.host.id).to.equal('intel-001');
    expect(r.found).to.deep.equal([
      'line 1: kernel release 6.12.38+deb13-amd64',
      'line 3: VT-d unit dmar0 (reg_base_addr 0xfed90000, ver 1:0): cap 0xc0000020e60262 ecap 0xf0101a',
      'line 4: VT-d unit dmar1 (reg_base_addr 0xfed91000, ver 1:0): cap 0xc9008020660262 ecap 0xf0105a',
    ]);
    expect(r.assumed).to.deep.equal([
      "kernel command line not printed; assumed 'intel_iommu=on' (HOST_DEFAULTS.cmdline.intel)",
      '/dev not captured; assumed what kernel 6.12.38+deb13-amd64 offers by default: /dev/iommu present (iommufd, 6.2), VFIO cdevs present (6.6), /dev/vfio/vfio present',
      'PCI devices not printed; assumed one vfio-pci-bound device per unit (0000:01:00.0 → dmar0, 0000:02:00.0 → dmar1), each alone in its IOMMU group, without PASID or ATS',
    ]);
    expect(r.host.assumed).to.deep.equal(r.assumed);
    expect(r.host.provenance).to.deep.include({ kind: 'dmesg' });
  });

  it('reads the command line the log printed', () => {
    expect(importHost(fixture('intel-008.dmesg.txt')).host.kernel).to.deep.include({ release: '5.19.0-41-generic', iommufd: false, vfioCdev: false });
  });

  it('refuses a log cut inside a unit line, naming the line, and gives no profile', () => {
    expect(inputError(() => importHost(fixture('intel-002.truncated.txt'))).message).to.equal(
      `${fixture('intel-002.truncated.txt')}:6: truncated or malformed DMAR unit line (expected '<dmarN>: reg_base_addr <hex> ver <M>:<m> cap <hex> ecap <hex>'): '[    0.102786] DMAR: dmar3: reg_base_addr f13fc000 ver 4:0 cap 8ed008c40780466 ecap'`,
    );
    expect(inputError(() => importHost(fixture('arm-009.truncated.txt'))).message).to.match(/arm-009\.truncated\.txt:6: truncated or malformed arm-smmu-v3 line/);
  });

  it('says plainly when a log has no unit line (AMD-Vi only)', () => {
    expect(inputError(() => importHost(fixture('amd-001.dmesg.txt'))).message).to.equal(`${fixture('amd-001.dmesg.txt')}: only AMD-Vi lines: viommu has no AMD IOMMU model`);
  });
});

describe('importHost: sysfs values as text', () => {
  it("reads a '$ cat /sys/…' transcript (intel-099)", () => {
    const r = importHost(fixture('intel-099.sysfs-cat.txt'));
    expect(r.host.units).to.deep.equal([{ name: 'dmar0', vendor: 'intel', registers: { cap: 0xd2008c40660462n, ecap: 0xf050dan } }]);
    expect(r.assumed).to.include('dmar0: MMIO base unknown (no intel-iommu/address)');
  });

  it("refuses a 'grep -H' dump without ecap (intel-100) rather than a unit without it", () => {
    expect(inputError(() => importHost(fixture('intel-100.sysfs-grep.txt'))).message).to.equal(
      `${fixture('intel-100.sysfs-grep.txt')}: dmar0: no ecap (expected /sys/class/iommu/dmar0/intel-iommu/ecap; the copy is incomplete)`,
    );
  });
});

/**
 * A capture of a two-unit desktop (intel-001 values) with a GPU passed through, copied as
 * docs/hosts.md has users copy it (`cp -rL` of the iommu class: real directories, links kept below).
 */
function writeCapture(root: string): void {
  writeTree(root, {
    'sys/class/iommu/dmar0/intel-iommu/cap': 'c0000020e60262\n',
    'sys/class/iommu/dmar0/intel-iommu/ecap': 'f0101a\n',
    'sys/class/iommu/dmar0/intel-iommu/version': '1:0\n',
    'sys/class/iommu/dmar0/intel-iommu/address': 'fed90000\n',
    'sys/class/iommu/dmar1/intel-iommu/cap': 'c9008020660262\n',
    'sys/class/iommu/dmar1/intel-iommu/ecap': 'f0105a\n',
    'sys/class/iommu/dmar1/intel-iommu/version': '1:0\n',
    'sys/class/iommu/dmar1/intel-iommu/address': 'fed91000\n',
    'sys/class/iommu/dmar0/devices/0000:00:02.0': { link: '../../../../pci0000:00/0000:00:02.0' },
    'sys/class/iommu/dmar1/devices/0000:01:00.0': { link: '../../../../pci0000:00/0000:00:01.0/0000:01:00.0' },
    'sys/class/iommu/dmar1/devices/0000:01:00.1': { link: '../../../../pci0000:00/0000:00:01.0/0000:01:00.1' },
    'sys/bus/pci/devices/0000:00:02.0/iommu_group': { link: '../../../../kernel/iommu_groups/0' },
    'sys/bus/pci/devices/0000:00:02.0/driver': { link: '../../../../bus/pci/drivers/i915' },
    'sys/bus/pci/devices/0000:01:00.0/driver': { link: '../../../../bus/pci/drivers/vfio-pci' },
    'sys/bus/pci/devices/0000:01:00.1/driver': { link: '../../../../bus/pci/drivers/vfio-pci' },
    'sys/bus/pci/devices/0000:01:00.0/vendor': '0x10de\n',
    'sys/bus/pci/devices/0000:01:00.0/device': '0x0dfa\n',
    'sys/kernel/iommu_groups/12/devices/0000:01:00.0': { link: '../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0' },
    'sys/kernel/iommu_groups/12/devices/0000:01:00.1': { link: '../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.1' },
    'proc/cmdline': 'BOOT_IMAGE=/boot/vmlinuz-6.12.38+deb13-amd64 root=/dev/sda1 ro intel_iommu=on iommu=pt\n',
    'proc/sys/kernel/osrelease': '6.12.38+deb13-amd64\n',
    'proc/sys/kernel/hostname': 'w520\n',
    'dev/iommu': '',
    'dev/vfio/vfio': '',
    'dev/vfio/devices/vfio0': '',
  });
}

describe('importHost: capture directories and tars', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'viommu-hosts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const expectW520 = (r: ReturnType<typeof importHost>) => {
    expect(r.host.units.map((u) => [u.name, u.registers.cap, u.registers.ecap, u.regBase])).to.deep.equal([
      ['dmar0', 0xc0000020e60262n, 0xf0101an, 0xfed90000n],
      ['dmar1', 0xc9008020660262n, 0xf0105an, 0xfed91000n],
    ]);
    expect(r.host.devices).to.deep.equal([
      { bdf: '0000:00:02.0', unit: 'dmar0', group: 0, driver: 'i915' },
      { bdf: '0000:01:00.0', unit: 'dmar1', group: 12, driver: 'vfio-pci', id: '10de:0dfa' },
      { bdf: '0000:01:00.1', unit: 'dmar1', group: 12, driver: 'vfio-pci' },
    ]);
    expect(r.host.kernel).to.deep.equal({
      release: '6.12.38+deb13-amd64',
      cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.12.38+deb13-amd64 root=/dev/sda1 ro intel_iommu=on iommu=pt',
      iommufd: true,
      vfioCdev: true,
      vfioType1: true,
    });
    expect(r.assumed).to.deep.equal(['PCI PASID and ATS capabilities of 0000:00:02.0, 0000:01:00.0, 0000:01:00.1 not read (config space beyond 256 bytes needs root); assumed none']);
  };

  it('reads a copied tree standing for / (sys, proc, dev)', () => {
    writeCapture(join(dir, 'w520'));
    const r = importHost(join(dir, 'w520'));
    expect(r.host.id).to.equal('w520');
    expectW520(r);
  });

  it('reads the same capture as a tar.gz, symlinks kept', () => {
    writeCapture(join(dir, 'w520'));
    execFileSync('tar', ['-czf', join(dir, 'w520.tar.gz'), '-C', join(dir, 'w520'), 'sys', 'proc', 'dev']);
    expectW520(importHost(join(dir, 'w520.tar.gz')));
  });

  it('reads a pax (POSIX) tar, whose long member names live in extended headers', () => {
    writeCapture(join(dir, 'w520'));
    execFileSync('tar', ['--format=posix', '-cf', join(dir, 'w520.tar'), '-C', join(dir, 'w520'), '.']);
    expectW520(importHost(join(dir, 'w520.tar')));
  });

  it('refuses a file that only starts like a tar', () => {
    writeCapture(join(dir, 'w520'));
    execFileSync('tar', ['-cf', join(dir, 'w520.tar'), '-C', join(dir, 'w520'), '.']);
    const bytes = readFileSync(join(dir, 'w520.tar'));
    bytes.fill(0x41, 1024, 1536);
    writeFileSync(join(dir, 'w520.tar'), bytes);
    expect(inputError(() => importHost(join(dir, 'w520.tar'))).message).to.match(/w520\.tar: not a tar archive \(bad header at byte \d+\)$/);
  });

  it('refuses a capture whose boot log disagrees with its sysfs (a log of another boot)', () => {
    writeCapture(join(dir, 'w520'));
    writeFileSync(join(dir, 'w520/dmesg.txt'), '[    0.099708] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101b\n');
    expect(inputError(() => importHost(join(dir, 'w520'))).message).to.equal(`${join(dir, 'w520/dmesg.txt')}: dmar0 ecap is 0xf0101a in sysfs but 0xf0101b in the boot log (a log of another boot?)`);
  });

  it('refuses a capture whose device is in no IOMMU group', () => {
    writeCapture(join(dir, 'w520'));
    rmSync(join(dir, 'w520/sys/kernel/iommu_groups/12'), { recursive: true });
    expect(inputError(() => importHost(join(dir, 'w520'))).message).to.equal(
      `${join(dir, 'w520')}: 0000:01:00.0 is behind dmar1 but in no /sys/kernel/iommu_groups/*/devices (the copy is incomplete)`,
    );
  });

  it('needs the boot log for SMMUv3 units and joins them by platform device', () => {
    const root = join(dir, 'grace');
    mkdirSync(join(root, 'sys/devices/platform/arm-smmu-v3.10.auto/iommu/smmu3.0x0000000016000000/devices'), { recursive: true });
    mkdirSync(join(root, 'sys/class/iommu'), { recursive: true });
    symlinkSync('../../devices/platform/arm-smmu-v3.10.auto/iommu/smmu3.0x0000000016000000', join(root, 'sys/class/iommu/smmu3.0x0000000016000000'));
    expect(inputError(() => importHost(root)).message).to.equal(
      `${root}: smmu3.0x0000000016000000: an SMMUv3 shows no ID register in sysfs; add the boot log with its 'arm-smmu-v3 arm-smmu-v3.10.auto: … (features 0x…)' line (dmesg > dmesg.txt)`,
    );
    // arm-004's lines
    writeFileSync(
      join(root, 'dmesg.txt'),
      [
        '[    2.709269] arm-smmu-v3 arm-smmu-v3.10.auto: found companion CMDQV device: NVDA200C:00',
        '[    2.709273] arm-smmu-v3 arm-smmu-v3.10.auto: option mask 0x10',
        '[    2.709618] arm-smmu-v3 arm-smmu-v3.10.auto: ias 48-bit, oas 48-bit (features 0x001e1fbf)',
      ].join('\n'),
    );
    mkdirSync(join(root, 'sys/devices/platform/arm-smmu-v3.10.auto/iommu/smmu3.0x0000000016000000/devices/0009:01:00.0'));
    mkdirSync(join(root, 'sys/bus/pci/devices/0009:01:00.0'), { recursive: true });
    symlinkSync('../../../../kernel/iommu_groups/7', join(root, 'sys/bus/pci/devices/0009:01:00.0/iommu_group'));
    symlinkSync('../../../../bus/pci/drivers/vfio-pci', join(root, 'sys/bus/pci/devices/0009:01:00.0/driver'));
    const r = importHost(root);
    expect(r.host.arch).to.equal('aarch64');
    expect(r.host.units.map((u) => [u.name, u.regBase, u.extra?.features])).to.deep.equal([['arm-smmu-v3.10.auto', 0x16000000n, 0x1e1fbfn]]);
    expect(r.host.devices).to.deep.equal([{ bdf: '0009:01:00.0', unit: 'arm-smmu-v3.10.auto', group: 7, driver: 'vfio-pci' }]);
  });

  it('refuses a directory that is no capture', () => {
    expect(inputError(() => importHost(dir)).message).to.equal(`${dir}: not a capture directory (expected 'sys/' and 'proc/' copied from the host; see docs/hosts.md)`);
  });
});

describe('host profiles and loadHost', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'viommu-hosts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an imported log written as a profile loads back to the same host', async () => {
    const { host } = importHost(fixture('intel-068.dmesg.txt'));
    const file = join(dir, 'r770.json');
    writeFileSync(file, JSON.stringify(hostToJson(host), null, 2));
    expect(await loadHost(file)).to.deep.equal(host);
    expect((await loadHost(file)).units[0]!.registers.cap).to.equal(0xf9ed008cee780c66n);
  });

  it('loads catalogue ids and log files; refuses anything else by name', async () => {
    expect((await loadHost('arm-009')).units).to.have.length(8);
    expect((await loadHost(fixture('intel-001.dmesg.txt'))).units).to.have.length(2);
    expect((await rejection(loadHost('intel-999'))).message).to.equal("host 'intel-999': not a catalogue host (141 hosts, intel-001 … intel-121: see 'viommu hosts list') and no such file");
  });

  it('refuses a profile that breaks the schema, naming the JSON path', async () => {
    const file = join(dir, 'bad.json');
    const json = hostToJson(findHost('intel-001')!) as { units: { registers: Record<string, unknown> }[] };
    json.units[1]!.registers.cap = 56294995342131810; // a JSON number: bits already lost
    writeFileSync(file, JSON.stringify(json));
    expect((await rejection(loadHost(file))).message).to.equal(`${file}: not a valid host profile: /units/1/registers/cap must be string`);
    writeFileSync(file, '{"id": "x", "arch": "x86_64"');
    expect((await rejection(loadHost(file))).message).to.match(/: not valid JSON: /);
  });

  it('refuses a device behind a unit the host does not have', async () => {
    const json = hostToJson(findHost('intel-001')!) as { devices: { unit: string }[] };
    json.devices[0]!.unit = 'dmar7';
    const file = join(dir, 'x.json');
    writeFileSync(file, JSON.stringify(json));
    expect((await rejection(loadHost(file))).message).to.equal(`${file}: /devices/0/unit: 'dmar7' is not one of the units (dmar0, dmar1)`);
  });
});
