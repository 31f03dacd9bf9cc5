import { expect } from 'chai';
import {
  ORACLE_VERSIONS,
  OracleError,
  type OracleVersion,
  type QemuSet,
  type QtestResult,
  type QtestRun,
  formatQtestCommand,
  isRefusal,
  parseQemuVersion,
  parseQtestAnswer,
  qemuErrorLine,
  qemuSet,
  qemuWarnings,
  runQtest,
  runQtestAll,
  stripQemuPrefix,
} from '@viommu/core/oracle';

// Lines as QEMU 7.2.22 / 10.0.2 printed them (runs noted in each test).
const NOSUCHPROP = "qemu-system-x86_64: -device intel-iommu,nosuchprop=1: Property 'intel-iommu.nosuchprop' not found";
const JSON_DEVICE = '{"driver": "intel-iommu", "aw-bits": 40}';
const VMX_WARNING = "qemu-system-x86_64: warning: TCG doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]";

describe('oracle: qtest protocol', () => {
  it('parses a read answer as a bigint, bit 63 included', () => {
    expect(parseQtestAnswer('OK 0x00d2008c222f0606', { op: 'readq', addr: 0xfed90008n })).to.equal(0xd2008c222f0606n);
    expect(parseQtestAnswer('OK 0x8000000000000001')).to.equal(0x8000000000000001n);
    expect(parseQtestAnswer('OK 0xffffffffffffffff', { op: 'readq', addr: 0n })).to.equal((1n << 64n) - 1n);
    expect(parseQtestAnswer('OK 0x0000000000000010', { op: 'readl', addr: 0xfed90000n })).to.equal(0x10n);
  });
  it('rejects FAIL, garbage and answers wider than the read', () => {
    expect(() => parseQtestAnswer("FAIL Unknown command 'foo'")).to.throw(OracleError, "qtest: unexpected answer 'FAIL Unknown command 'foo''");
    expect(() => parseQtestAnswer('OK', { op: 'readb', addr: 0x10n })).to.throw(OracleError, "to 'readb 0x10'");
    expect(() => parseQtestAnswer('OK 0x0000000100000000', { op: 'readl', addr: 0n })).to.throw(OracleError, 'wider than readl');
    expect(() => parseQtestAnswer('OK 0x10000000000000000')).to.throw(OracleError);
  });
  it('formats reads and writes in hex, bit 63 included, and refuses what qtest cannot take', () => {
    expect(formatQtestCommand({ op: 'readq', addr: 0xfed90008n })).to.equal('readq 0xfed90008');
    expect(formatQtestCommand({ op: 'readq', addr: 1n << 63n })).to.equal('readq 0x8000000000000000');
    expect(formatQtestCommand({ op: 'writeq', addr: 0x1000n, value: 0x8000000000000001n })).to.equal(
      'writeq 0x1000 0x8000000000000001',
    );
    expect(() => formatQtestCommand({ op: 'readq', addr: 1n << 64n })).to.throw(OracleError, 'is not a 64-bit bigint');
    expect(() => formatQtestCommand({ op: 'readl', addr: -1n })).to.throw(OracleError);
    expect(() => formatQtestCommand({ op: 'readl', addr: 4096 as unknown as bigint })).to.throw(OracleError, 'readl address 4096');
    expect(() => formatQtestCommand({ op: 'writeb', addr: 0n, value: 0x100n })).to.throw(OracleError, 'not a 8-bit bigint');
    expect(() => formatQtestCommand({ op: 'peek' as 'readb', addr: 0n })).to.throw(OracleError, "unknown op 'peek'");
  });
});

describe('oracle: QEMU stderr', () => {
  it('strips program and option location to QEMU message', () => {
    expect(stripQemuPrefix(NOSUCHPROP)).to.equal("Property 'intel-iommu.nosuchprop' not found");
    expect(stripQemuPrefix('qemu-system-x86_64: -device intel-iommu: QEMU does not support multiple vIOMMUs for x86 yet.')).to.equal(
      'QEMU does not support multiple vIOMMUs for x86 yet.',
    );
    expect(stripQemuPrefix("qemu-system-aarch64: Property 'arm-smmuv3.foo' not found")).to.equal(
      "Property 'arm-smmuv3.foo' not found",
    );
  });
  it('matches the location against the arguments exactly when given them (JSON -device)', () => {
    const line = `qemu-system-x86_64: -device ${JSON_DEVICE}: Supported values for aw-bits are: 39, 48`;
    expect(stripQemuPrefix(line, ['-machine', 'q35', '-device', JSON_DEVICE])).to.equal('Supported values for aw-bits are: 39, 48');
    // Without them the location cannot be told from the message.
    expect(stripQemuPrefix(line)).to.not.equal('Supported values for aw-bits are: 39, 48');
  });
  it('finds the error line past warnings and keeps hints out of it', () => {
    const stderr = `${VMX_WARNING}\nqemu-system-x86_64: -device intel-iommu,eim=on: eim=on requires accel=kvm,kernel-irqchip=split\n`;
    expect(qemuErrorLine(stderr)).to.equal('qemu-system-x86_64: -device intel-iommu,eim=on: eim=on requires accel=kvm,kernel-irqchip=split');
    expect(qemuWarnings(stderr)).to.deep.equal([VMX_WARNING]);
    expect(qemuErrorLine(`${NOSUCHPROP}\nA hint on its own line\n`)).to.equal(NOSUCHPROP);
    expect(qemuErrorLine(`${VMX_WARNING}\n`)).to.equal(undefined);
  });
  it('reads the version from --version', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard\n')).to.deep.equal({
      version: '7.2.22',
      line: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)',
    });
    expect(parseQemuVersion('QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\n').version).to.equal('10.0.2');
    expect(() => parseQemuVersion('qemu-img version 7.2.22\n')).to.throw(OracleError, "not a QEMU --version answer: 'qemu-img version 7.2.22'");
  });
});

/** What each real QEMU answered (q35,kernel-irqchip=split / virt,iommu=smmuv3; see docs/oracle.md). */
const EXPECTED: Record<OracleVersion, { cap: bigint; ecap: bigint; smmuIdr0: bigint; awBits40: string; eimOn: string | bigint }> = {
  // 7.2 defaults to aw-bits=39 (CAP.SAGAW 39-bit only, MGAW 38).
  '7.2': {
    cap: 0x00d2008c22260206n,
    ecap: 0xf00f4an,
    smmuIdr0: 0x0d40101an,
    awBits40: 'Supported values for aw-bits are: 39, 48',
    eimOn: 'eim=on requires accel=kvm,kernel-irqchip=split',
  },
  // 10.0 defaults to aw-bits=48, names the mode in the aw-bits refusal and accepts eim=on under TCG.
  '10.0': {
    cap: 0x00d2008c222f0606n,
    ecap: 0xf00f4an,
    smmuIdr0: 0x0d44101bn,
    awBits40: 'Legacy mode: supported values for aw-bits are: 39, 48',
    eimOn: 0x10n,
  },
};

const Q35 = ['-machine', 'q35,kernel-irqchip=split'];
const VTD_VER = { op: 'readl', addr: 0xfed90000n } as const;

function values(r: QtestResult): bigint[] {
  if (isRefusal(r)) throw new Error(`QEMU refused: ${r.stderr}`);
  return r.values;
}

for (const version of ORACLE_VERSIONS) {
  describe(`oracle: real QEMU ${version}`, function () {
    this.timeout(60_000);
    let qemu: QemuSet;
    const want = EXPECTED[version];
    before(async function () {
      try {
        qemu = await qemuSet(version, { install: false });
      } catch (e) {
        if (!(e instanceof OracleError)) throw e;
        console.log(`      skipping QEMU ${version} integration tests: ${e.message} (node packages/core/dist/src/oracle/fetch.js installs it)`);
        this.skip();
      }
    });

    it(`is QEMU ${version}.x for both targets`, () => {
      expect(qemu.version.startsWith(`${version}.`)).to.equal(true);
      expect(qemu.x86_64.versionLine).to.match(new RegExp(`^QEMU emulator version ${version.replace('.', '\\.')}\\.\\d+ `));
      expect(qemu.aarch64.version).to.equal(qemu.version);
    });

    it('reads intel-iommu VER, CAP and ECAP at their defaults', async () => {
      const r = await runQtest({
        binary: qemu.x86_64,
        args: [...Q35, '-device', 'intel-iommu'],
        reads: [VTD_VER, { op: 'readq', addr: 0xfed90008n }, { op: 'readq', addr: 0xfed90010n }],
      });
      expect(values(r)).to.deep.equal([0x10n, want.cap, want.ecap]);
    });

    it('carries bit 63 from guest memory through writeq/readq', async () => {
      const r = await runQtest({
        binary: qemu.x86_64,
        args: ['-machine', 'q35'],
        writes: [{ op: 'writeq', addr: 0x1000n, value: 0x8000000000000001n }],
        reads: [{ op: 'readq', addr: 0x1000n }],
      });
      expect(values(r)).to.deep.equal([0x8000000000000001n]);
    });

    it('reads arm-smmuv3 IDR0 on virt', async () => {
      const r = await runQtest({ binary: qemu.aarch64, args: ['-machine', 'virt,iommu=smmuv3'], reads: [{ op: 'readl', addr: 0x09050000n }] });
      expect(values(r)).to.deep.equal([want.smmuIdr0]);
    });

    it("returns QEMU's refusal exactly as printed", async () => {
      const r = await runQtest({ binary: qemu.x86_64, args: [...Q35, '-device', 'intel-iommu,nosuchprop=1'], reads: [VTD_VER] });
      expect(r).to.deep.equal({ error: NOSUCHPROP, message: "Property 'intel-iommu.nosuchprop' not found", stderr: `${NOSUCHPROP}\n`, exitCode: 1 });
    });

    it('strips a JSON -device location exactly', async () => {
      const r = await runQtest({ binary: qemu.x86_64, args: ['-machine', 'q35', '-device', JSON_DEVICE], reads: [VTD_VER] });
      expect(r).to.include({ error: `qemu-system-x86_64: -device ${JSON_DEVICE}: ${want.awBits40}`, message: want.awBits40 });
    });

    it('tells warnings from the error', async () => {
      const r = await runQtest({ binary: qemu.x86_64, args: [...Q35, '-cpu', 'qemu64,+vmx', '-device', 'intel-iommu,eim=on'], reads: [VTD_VER] });
      expect(qemuWarnings(r.stderr)).to.deep.equal([VMX_WARNING]);
      if (typeof want.eimOn === 'bigint') expect(values(r)).to.deep.equal([want.eimOn]);
      else expect(r).to.include({ message: want.eimOn, exitCode: 1 });
    });

    it('runs many configurations two at a time, answers in order', async () => {
      const runs: QtestRun[] = ['39', '48', '40', '39', '48', '40'].map((aw) => ({
        binary: qemu.x86_64,
        args: [...Q35, '-device', `intel-iommu,aw-bits=${aw}`],
        reads: [{ op: 'readq', addr: 0xfed90008n }],
      }));
      const results = await runQtestAll(runs, 2);
      expect(results.map((r) => (isRefusal(r) ? r.message : r.values[0]))).to.deep.equal([
        0x00d2008c22260206n, 0x00d2008c222f0606n, want.awBits40,
        0x00d2008c22260206n, 0x00d2008c222f0606n, want.awBits40,
      ]);
    });
  });
}
