import { OracleError } from './errors.js';

/** The qtest memory reads (`tests/qtest/libqtest.c` `qtest_read{b,w,l,q}`). */
export type QtestReadOp = 'readb' | 'readw' | 'readl' | 'readq';

/** One guest-physical read, e.g. `{ op: 'readq', addr: 0xfed90008n }` (VT-d CAP_REG). */
export interface QtestRead {
  readonly op: QtestReadOp;
  readonly addr: bigint;
}

const WIDTH: Record<QtestReadOp, bigint> = { readb: 8n, readw: 16n, readl: 32n, readq: 64n };
const U64_MAX = (1n << 64n) - 1n;

/** The command line qtest reads for `read` (`qtest_process_command`): `readq 0xfed90008`. */
export function formatQtestRead(read: QtestRead): string {
  if (!(read.op in WIDTH)) throw new OracleError(`qtest: unknown read op '${String(read.op)}'`);
  if (typeof read.addr !== 'bigint' || read.addr < 0n || read.addr > U64_MAX) {
    throw new OracleError(`qtest: ${read.op} address ${String(read.addr)} is not a 64-bit bigint`);
  }
  return `${read.op} 0x${read.addr.toString(16)}`;
}

/**
 * The value of one qtest answer line to a read: `OK 0x00d2008c222f0606` → `0xd2008c222f0606n`.
 * qtest answers a read with `OK 0x%016" PRIx64` whatever the width; `FAIL …` or anything
 * else is a protocol error.
 */
export function parseQtestAnswer(line: string, read?: QtestRead): bigint {
  const m = /^OK 0x([0-9a-fA-F]{1,16})$/.exec(line.trimEnd());
  if (!m) throw new OracleError(`qtest: unexpected answer '${line}'${read ? ` to '${formatQtestRead(read)}'` : ''}`);
  const value = BigInt(`0x${m[1]}`);
  if (read && value >> WIDTH[read.op] !== 0n) {
    throw new OracleError(`qtest: answer '${line}' is wider than ${read.op}`);
  }
  return value;
}
