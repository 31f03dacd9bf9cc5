import { expect } from 'chai';
import { InputError } from '@viommu/core';
import { thrown } from '@viommu/test-support';
import { parseDmarBootLog, parseVtdSysfs } from '../src/index.js';

// Lines as real machines printed them (shared/data/real-hosts.json, ids in comments).
const W520 = [
  // intel-001: Lenovo ThinkPad W520, Debian 6.12
  '[    0.000000] Linux version 6.12.38+deb13-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.12.38-1 (2025-07-16)',
  '[    0.099708] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a',
  '[    0.099716] DMAR: dmar1: reg_base_addr fed91000 ver 1:0 cap c9008020660262 ecap f0105a',
];

const inputError = (f: () => unknown): InputError => thrown(InputError, f);

describe('parseDmarBootLog (alloc_iommu probe lines)', () => {
  it('reads every unit of a dmesg with timestamps, registers as printed (bigint)', () => {
    const r = parseDmarBootLog(W520, 'w520.log');
    expect(r.units).to.deep.equal([
      { name: 'dmar0', vendor: 'intel', registers: { cap: 0xc0000020e60262n, ecap: 0xf0101an }, regBase: 0xfed90000n, version: '1:0' },
      { name: 'dmar1', vendor: 'intel', registers: { cap: 0xc9008020660262n, ecap: 0xf0105an }, regBase: 0xfed91000n, version: '1:0' },
    ]);
    expect(r.found).to.deep.equal([
      'line 2: VT-d unit dmar0 (reg_base_addr 0xfed90000, ver 1:0): cap 0xc0000020e60262 ecap 0xf0101a',
      'line 3: VT-d unit dmar1 (reg_base_addr 0xfed91000, ver 1:0): cap 0xc9008020660262 ecap 0xf0105a',
    ]);
    expect(r.assumed).to.deep.equal([]);
    expect(r.raw).to.deep.equal(W520.slice(1));
  });

  it('reads journalctl, syslog, dmesg -T, printk-level, quoted and thread-id prefixes', () => {
    const lines = [
      'jan 13 14:17:13 localhost kernel: DMAR: dmar0: reg_base_addr fed90000 ver 4:0 cap 1c0000c40660462 ecap 29a00f0505e', // intel-005
      'kern  :info  : [Fri Apr  7 00:04:33 2023] DMAR: dmar1: reg_base_addr e0ffc000 ver 1:0 cap 8d2078c106f0466 ecap f020df', // intel-020
      '<6>[    0.184337] DMAR: dmar2: reg_base_addr fed91000 ver 1:0 cap c9008020660262 ecap f0105a', // intel-048
      '> [    0.042833] DMAR: dmar3: reg_base_addr fed91000 ver 1:0 cap d2008c40660462 ecap f050da', // intel-004
      '// ["kernel: [    0.116265] DMAR: dmar4: reg_base_addr fed90000 ver 4:0 cap 1c0000c40660462 ecap 49e2ff0505e', // intel-007
      '\t[    0.025726] DMAR: dmar5: reg_base_addr fed90000 ver 1:0 cap 1c0000c40660462 ecap 19e2ff0505e', // intel-116
    ];
    const r = parseDmarBootLog(lines, 'mixed.log');
    expect(r.units.map((u) => [u.name, u.registers.cap, u.registers.ecap])).to.deep.equal([
      ['dmar0', 0x1c0000c40660462n, 0x29a00f0505en],
      ['dmar1', 0x8d2078c106f0466n, 0xf020dfn],
      ['dmar2', 0xc9008020660262n, 0xf0105an],
      ['dmar3', 0xd2008c40660462n, 0xf050dan],
      ['dmar4', 0x1c0000c40660462n, 0x49e2ff0505en],
      ['dmar5', 0x1c0000c40660462n, 0x19e2ff0505en],
    ]);
  });

  it("reads the old 'dmar: IOMMU N:' form as the kernel's dmarN", () => {
    // intel-105
    const r = parseDmarBootLog(
      ['[    0.030788] dmar: IOMMU 0: reg_base_addr fed90000 ver 1:0 cap 1c0000c40660462 ecap 7e1ff0505e', '[    0.030794] dmar: IOMMU 1: reg_base_addr fed91000 ver 1:0 cap d2008c20660462 ecap f010da'],
      'old.log',
    );
    expect(r.units.map((u) => [u.name, u.regBase, u.registers.ecap])).to.deep.equal([
      ['dmar0', 0xfed90000n, 0x7e1ff0505en],
      ['dmar1', 0xfed91000n, 0xf010dan],
    ]);
  });

  it('reads markdown-escaped copies and journal lines quoted in scripts', () => {
    // intel-038, intel-064
    const r = parseDmarBootLog(
      ['\\[ 0.102662\\] DMAR: dmar0: reg\\_base\\_addr fbffc000 ver 1:0 cap 8d2078c106f0466 ecap f020de', '        "kernel: DMAR: IOMMU 1: reg_base_addr fed90000 ver 1:0 cap d2078c106f0462 ecap f020fe"'],
      'doc.md',
    );
    expect(r.units.map((u) => [u.name, u.regBase, u.registers.cap, u.registers.ecap])).to.deep.equal([
      ['dmar0', 0xfbffc000n, 0x8d2078c106f0466n, 0xf020den],
      ['dmar1', 0xfed90000n, 0xd2078c106f0462n, 0xf020fen],
    ]);
  });

  it('keeps bit 63 of cap and ecap', () => {
    const r = parseDmarBootLog(['DMAR: dmar0: reg_base_addr fed90000 ver 7:0 cap 8000000000000001 ecap ffffffffffffffff'], 'b63.log');
    expect(r.units[0]!.registers).to.deep.equal({ cap: 0x8000000000000001n, ecap: 0xffffffffffffffffn });
    expect(r.found[0]).to.equal('line 1: VT-d unit dmar0 (reg_base_addr 0xfed90000, ver 7:0): cap 0x8000000000000001 ecap 0xffffffffffffffff');
  });

  it('names a unit printed without its head, and says so', () => {
    // intel-028: a mailing-list quote of the values only
    const r = parseDmarBootLog(['> model name\t: Intel(R) Xeon(R) Gold 6146 CPU @ 3.20GHz', '> ver 1:0 cap 8d2078c106f0466 ecap f020df'], 'quote.txt');
    expect(r.units).to.deep.equal([{ name: 'dmar0', vendor: 'intel', registers: { cap: 0x8d2078c106f0466n, ecap: 0xf020dfn }, version: '1:0' }]);
    expect(r.assumed).to.deep.equal(["line 2: the unit's name was not printed; named dmar0, MMIO base unknown"]);
  });

  it('refuses a line cut after ecap, naming the file, line and text', () => {
    const e = inputError(() => parseDmarBootLog([W520[0]!, W520[1]!, '[    0.099716] DMAR: dmar1: reg_base_addr fed91000 ver 1:0 cap c9008020660262 ecap'], 'cut.log'));
    expect(e.message).to.equal(
      "cut.log:3: truncated or malformed DMAR unit line (expected '<dmarN>: reg_base_addr <hex> ver <M>:<m> cap <hex> ecap <hex>'): '[    0.099716] DMAR: dmar1: reg_base_addr fed91000 ver 1:0 cap c9008020660262 ecap'",
    );
  });

  it('refuses a line cut in the middle of reg_base_addr', () => {
    const e = inputError(() => parseDmarBootLog(['[    0.099708] DMAR: dmar0: reg_base_addr fed9'], 'cut.log'));
    expect(e.message).to.match(/^cut\.log:1: truncated or malformed DMAR unit line/);
  });

  it('refuses a register wider than 64 bits', () => {
    const e = inputError(() => parseDmarBootLog(['DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 1c0000c4066046200 ecap f0'], 'wide.log'));
    expect(e.message).to.equal("wide.log:1: cap: '1c0000c4066046200' does not fit in 64 bits: 'DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 1c0000c4066046200 ecap f0'");
  });

  it('refuses one unit printed twice with other values (two boots), accepts an exact repeat', () => {
    expect(parseDmarBootLog([W520[1]!, W520[1]!], 'twice.log').units).to.have.length(1);
    const e = inputError(() => parseDmarBootLog([W520[1]!, W520[2]!.replace('dmar1', 'dmar0')], 'boots.log'));
    expect(e.message).to.match(/^boots\.log:2: dmar0 printed again with other values \(two boots in one log\? capture one boot: journalctl -k -b 0\)/);
  });

  it('refuses a log cut after the ACPI DRHD walk: a DRHD without its unit line', () => {
    const lines = ['[    0.013000] DMAR: DRHD base: 0x000000fed90000 flags: 0x0', '[    0.013010] DMAR: DRHD base: 0x000000fed91000 flags: 0x1', W520[1]!];
    const e = inputError(() => parseDmarBootLog(lines, 'cut.log'));
    expect(e.message).to.equal("cut.log:2: DRHD base 0xfed91000 has no 'dmarN: reg_base_addr fed91000 …' unit line (the log is cut): '[    0.013010] DMAR: DRHD base: 0x000000fed91000 flags: 0x1'");
    expect(parseDmarBootLog([...lines, W520[2]!], 'whole.log').units).to.have.length(2);
  });

  it('ignores every other DMAR line', () => {
    const r = parseDmarBootLog(['[    0.103707] DMAR: Parse DMAR table failure.', 'DMAR: dmar0: Using Queued invalidation', 'DMAR: Host address width 39'], 'x.log');
    expect(r.units).to.deep.equal([]);
  });
});

describe('parseVtdSysfs (/sys/class/iommu/dmarN/intel-iommu)', () => {
  it('reads cap, ecap, version and address as the kernel prints them', () => {
    // intel-099 / intel-100 values, with the address and ecap of the same generation
    const files = new Map([
      ['/sys/class/iommu/dmar0/intel-iommu/cap', 'd2008c40660462\n'],
      ['/sys/class/iommu/dmar0/intel-iommu/ecap', 'f050da\n'],
      ['/sys/class/iommu/dmar0/intel-iommu/version', '1:0\n'],
      ['/sys/class/iommu/dmar0/intel-iommu/address', 'fed90000\n'],
      ['/sys/devices/virtual/iommu/dmar10/intel-iommu/cap', '8000000000000000\n'],
      ['/sys/devices/virtual/iommu/dmar10/intel-iommu/ecap', 'f0\n'],
      ['/sys/class/iommu/dmar0/devices/0000:00:02.0', ''],
    ]);
    const r = parseVtdSysfs(files, 'dump');
    expect(r.units).to.deep.equal([
      { name: 'dmar0', vendor: 'intel', registers: { cap: 0xd2008c40660462n, ecap: 0xf050dan }, regBase: 0xfed90000n, version: '1:0' },
      { name: 'dmar10', vendor: 'intel', registers: { cap: 0x8000000000000000n, ecap: 0xf0n } },
    ]);
    expect(r.assumed).to.deep.equal(['dmar10: MMIO base unknown (no intel-iommu/address)']);
  });

  it('refuses a unit whose ecap was not copied (intel-100 printed cap only)', () => {
    const e = inputError(() => parseVtdSysfs(new Map([['/sys/devices/virtual/iommu/dmar0/intel-iommu/cap', 'd2008c40660462']]), 'dump'));
    expect(e.message).to.equal('dump: dmar0: no ecap (expected /sys/class/iommu/dmar0/intel-iommu/ecap; the copy is incomplete)');
  });

  it('refuses a value that is not hex, naming the file', () => {
    const e = inputError(() =>
      parseVtdSysfs(new Map([['/sys/class/iommu/dmar0/intel-iommu/cap', 'd2008c4066046z'], ['/sys/class/iommu/dmar0/intel-iommu/ecap', 'f050da']]), 'dump'),
    );
    expect(e.message).to.equal("dump: /sys/class/iommu/dmar0/intel-iommu/cap: cap: 'd2008c4066046z' is not a hexadecimal value");
  });
});
