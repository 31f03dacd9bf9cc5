import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OracleError, QTEST_ARGS, type QemuBinary, mapBounded, runQtest } from '@viommu/core/oracle';
import { expectOracleError } from './oracle-helpers.js';

/**
 * Stand-ins for QEMU, to test the runner's side of the protocol without one: each is a
 * shell script that behaves like qemu-system-x86_64 in one way.
 */
const SCRIPTS = {
  // Answers qtest like QEMU: reads with a bit-63 value, writes with OK; echoes its argv on stderr.
  answers: `echo "argv: $*" >&2
while read -r cmd addr value; do
  case "$cmd" in
    read*) echo "OK 0x800000000000000$(printf %s "$addr" | tail -c 1)" ;;
    write*) echo OK ;;
    endianness) echo "OK little" ;;
  esac
done
exec sleep 30`,
  refuses: `echo "qemu-system-x86_64: warning: w" >&2
echo "qemu-system-x86_64: -device intel-iommu,aw-bits=40: Supported values for aw-bits are: 39, 48" >&2
echo "a hint" >&2
exit 1`,
  hangs: 'exec sleep 30',
  silent: 'exit 0',
  fails: `read -r line; echo "FAIL Unknown command 'x'"; exec sleep 30`,
};

describe('oracle: runQtest against stand-in binaries', () => {
  let dir: string;
  const bin = (name: keyof typeof SCRIPTS): QemuBinary => ({
    path: join(dir, name),
    arch: 'x86_64',
    version: '0.0.0',
    versionLine: 'QEMU emulator version 0.0.0',
    args: ['-L', '/data'],
    env: {},
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viommu-oracle-'));
    for (const [name, body] of Object.entries(SCRIPTS)) {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('puts binary args first, the qtest args last, and answers reads in order after the writes', async () => {
    const r = await runQtest({
      binary: bin('answers'),
      args: ['-machine', 'q35'],
      writes: [{ op: 'writel', addr: 0x10n, value: 1n }],
      reads: [{ op: 'readq', addr: 0x11n }, { op: 'readq', addr: 0x2n }],
    });
    expect(r).to.deep.equal({
      values: [0x8000000000000001n, 0x8000000000000002n],
      stderr: `argv: -L /data -machine q35 ${QTEST_ARGS.join(' ')}\n`,
    });
  });
  it('probes start-up with endianness when there is nothing to read', async () => {
    expect(await runQtest({ binary: bin('answers'), args: [], reads: [] })).to.have.property('values').that.deep.equals([]);
  });
  it('returns a start-up refusal with the error line, message and full stderr', async () => {
    const r = await runQtest({ binary: bin('refuses'), args: ['-device', 'intel-iommu,aw-bits=40'], reads: [{ op: 'readl', addr: 0n }] });
    expect(r).to.deep.equal({
      error: 'qemu-system-x86_64: -device intel-iommu,aw-bits=40: Supported values for aw-bits are: 39, 48',
      message: 'Supported values for aw-bits are: 39, 48',
      stderr:
        'qemu-system-x86_64: warning: w\nqemu-system-x86_64: -device intel-iommu,aw-bits=40: Supported values for aw-bits are: 39, 48\na hint\n',
      exitCode: 1,
    });
  });
  it('gives up after the timeout with a one-line OracleError', async () => {
    const started = runQtest({ binary: bin('hangs'), args: ['-machine', 'q35'], reads: [{ op: 'readl', addr: 0n }], timeoutMs: 200 });
    await expectOracleError(started, `${join(dir, 'hangs')} -machine q35: no answer within 200 ms`);
  });
  it('says so when the binary is missing', async () => {
    await expectOracleError(runQtest({ binary: { ...bin('answers'), path: join(dir, 'nope') }, args: [], reads: [] }), `${join(dir, 'nope')}: not found`);
  });
  it('treats an exit without an error line, and a FAIL answer, as oracle failures', async () => {
    await expectOracleError(
      runQtest({ binary: bin('silent'), args: [], reads: [{ op: 'readb', addr: 0n }] }),
      `${join(dir, 'silent')} exited (0) before answering and printed no error: nothing`,
    );
    await expectOracleError(
      runQtest({ binary: bin('fails'), args: [], reads: [{ op: 'readb', addr: 0n }] }),
      "qtest: unexpected answer 'FAIL Unknown command 'x'' to 'readb 0x0'",
    );
  });
  it('rejects a malformed read before starting QEMU', async () => {
    await expectOracleError(runQtest({ binary: bin('answers'), args: [], reads: [{ op: 'readq', addr: 1n << 64n }] }), 'qtest: readq address 18446744073709551616 is not a 64-bit bigint');
  });
});

describe('oracle: bounded parallelism', () => {
  it('never runs more than the limit at once and keeps the order of the inputs', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (ms, i) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return i * 10;
    });
    expect(out).to.deep.equal([0, 10, 20, 30, 40, 50]);
    expect(peak).to.equal(2);
  });
  it('stops starting new work after a failure and rejects with it', async () => {
    const started: number[] = [];
    const run = mapBounded([0, 1, 2, 3, 4], 2, async (i) => {
      started.push(i);
      await new Promise((r) => setTimeout(r, 5));
      if (i === 0) throw new OracleError('boom');
      return i;
    });
    await expectOracleError(run, 'boom');
    expect(started).to.deep.equal([0, 1]);
  });
  it('refuses a limit that is not a positive integer', async () => {
    await expectOracleError(mapBounded([1], 0, async (x) => x), 'concurrency must be a positive integer, not 0');
  });
});
