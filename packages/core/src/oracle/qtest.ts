import { OracleError } from './errors.js';

/**
 * The qtest reads (`tests/qtest/libqtest.c`): guest memory (`qtest_read{b,w,l,q}`) and x86
 * I/O ports (`qtest_in{b,w,l}`, e.g. PCI config through `0xcf8`/`0xcfc`).
 */
export type QtestReadOp = 'readb' | 'readw' | 'readl' | 'readq' | 'inb' | 'inw' | 'inl';

/** One guest-physical read, e.g. `{ op: 'readq', addr: 0xfed90008n }` (VT-d CAP_REG). */
export interface QtestRead {
  readonly op: QtestReadOp;
  readonly addr: bigint;
}

/** The qtest writes: guest memory (`qtest_write{b,w,l,q}`) and x86 I/O ports (`qtest_out{b,w,l}`). */
export type QtestWriteOp = 'writeb' | 'writew' | 'writel' | 'writeq' | 'outb' | 'outw' | 'outl';

/** One guest-physical write, e.g. `{ op: 'writeq', addr: 0xfed90090n, value: 0x807n }` (IQA_REG). */
export interface QtestWrite {
  readonly op: QtestWriteOp;
  readonly addr: bigint;
  readonly value: bigint;
}

const WIDTH: Record<QtestReadOp | QtestWriteOp, bigint> = {
  readb: 8n, readw: 16n, readl: 32n, readq: 64n,
  writeb: 8n, writew: 16n, writel: 32n, writeq: 64n,
  inb: 8n, inw: 16n, inl: 32n,
  outb: 8n, outw: 16n, outl: 32n,
};

function checkU(what: string, value: unknown, bits: bigint): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >> bits !== 0n) {
    throw new OracleError(`qtest: ${what} ${String(value)} is not a ${bits}-bit bigint`);
  }
  return value;
}

/** The line qtest reads for `cmd` (`qtest_process_command`): `readq 0xfed90008`, `writel 0xfed90018 0x80000000`. */
export function formatQtestCommand(cmd: QtestRead | QtestWrite): string {
  const width = Object.hasOwn(WIDTH, cmd.op) ? WIDTH[cmd.op] : undefined;
  if (width === undefined) throw new OracleError(`qtest: unknown op '${String(cmd.op)}'`);
  const addr = `0x${checkU(`${cmd.op} address`, cmd.addr, 64n).toString(16)}`;
  if (!('value' in cmd)) return `${cmd.op} ${addr}`;
  return `${cmd.op} ${addr} 0x${checkU(`${cmd.op} value`, cmd.value, width).toString(16)}`;
}

/**
 * The value of one qtest answer line to a read: `OK 0x00d2008c222f0606` → `0xd2008c222f0606n`.
 * qtest answers a read with `OK 0x%016" PRIx64` whatever the width; `FAIL …` or anything
 * else is a protocol error.
 */
export function parseQtestAnswer(line: string, read?: QtestRead): bigint {
  const m = /^OK 0x([0-9a-fA-F]{1,16})$/.exec(line.trimEnd());
  if (!m) throw new OracleError(`qtest: unexpected answer '${line}'${read ? ` to '${formatQtestCommand(read)}'` : ''}`);
  const value = BigInt(`0x${m[1]}`);
  if (read && value >> WIDTH[read.op] !== 0n) {
    throw new OracleError(`qtest: answer '${line}' is wider than ${read.op}`);
  }
  return value;
}
