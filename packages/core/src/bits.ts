/**
 * 64-bit register helpers. Every register, flag word and IOVA in viommu is a
 * `bigint`: a JS `number` silently drops bits above 2^53.
 */

/** All ones in 64 bits. */
export const U64_MAX = (1n << 64n) - 1n;

/** `BIT_ULL(n)`. */
export function BIT(n: number | bigint): bigint {
  return 1n << BigInt(n);
}

/** `GENMASK_ULL(hi, lo)`: bits lo..hi inclusive. */
export function GENMASK(hi: number, lo: number): bigint {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

/** Extracts `width` bits starting at bit `lo`. */
export function field(value: bigint, lo: number, width: number): bigint {
  return (value >> BigInt(lo)) & ((1n << BigInt(width)) - 1n);
}

/** Returns `value` with the `width`-bit field at `lo` replaced by `v` (QEMU's FIELD_DP64). */
export function deposit(value: bigint, lo: number, width: number, v: bigint): bigint {
  const mask = ((1n << BigInt(width)) - 1n) << BigInt(lo);
  return (value & ~mask) | ((v << BigInt(lo)) & mask);
}

/** True when bit `n` of `value` is set. */
export function testBit(value: bigint, n: number): boolean {
  return ((value >> BigInt(n)) & 1n) === 1n;
}

/** Index of the highest set bit (`63 - clz64`), or -1 for 0. */
export function fls64(value: bigint): number {
  if (value <= 0n) return -1;
  return value.toString(2).length - 1;
}

/** `0x…` lowercase, no padding: the form the kernel and QEMU print. */
export function hex(value: bigint): string {
  if (value < 0n) throw new RangeError(`hex() of a negative value ${value}`);
  return `0x${value.toString(16)}`;
}

const HEX_RE = /^(?:0[xX])?[0-9a-fA-F]+$/;

/**
 * Parses a register value printed in hex (`0xc0000020e60262` or `c0000020e60262`) into a
 * bigint without ever passing through a JS number. Values wider than `bits` are refused.
 * @throws RangeError naming `what` when the text is not hex or does not fit.
 */
export function parseHexU64(text: string, what: string, bits = 64): bigint {
  const t = text.trim();
  if (!HEX_RE.test(t)) throw new RangeError(`${what}: '${text}' is not a hexadecimal value`);
  const v = BigInt(t.startsWith('0x') || t.startsWith('0X') ? t : `0x${t}`);
  if (v >> BigInt(bits) !== 0n) throw new RangeError(`${what}: '${text}' does not fit in ${bits} bits`);
  return v;
}
