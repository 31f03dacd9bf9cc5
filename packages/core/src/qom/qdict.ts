/** `QDICT_BUCKET_MAX` (qobject/qdict.c). */
const QDICT_BUCKET_MAX = 512;

/** `tdb_hash` (qobject/qdict.c): the bucket hash of a QDict key (bytes of its UTF-8 form). */
export function tdbHash(name: string): number {
  // an ASCII key is its own UTF-8 (no encoder, no buffer: every -device option is hashed)
  const utf8 = /^[\0-\x7f]*$/.test(name) ? null : new TextEncoder().encode(name);
  const length = utf8 ? utf8.length : name.length;
  let value = Math.imul(0x238f13af, length) >>> 0;
  for (let i = 0; i < length; i++) value = (value + (((utf8 ? utf8[i]! : name.charCodeAt(i)) << ((i * 5) % 24)) >>> 0)) >>> 0;
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/**
 * The order `qdict_first`/`qdict_next` visit the keys of a QDict built by inserting `keys` in
 * order (`qemu_opts_to_qdict`: a repeated key keeps its first slot, the value is replaced):
 * buckets ascending, and within a bucket the latest first insertion first (`QLIST_INSERT_HEAD`).
 * QEMU sets `-device` properties in this order (`object_set_properties_from_keyval`), so the
 * first bad property it reports is the first in this order, not on the command line.
 */
export function qdictOrder(keys: Iterable<string>): string[] {
  return qdictOrderOfUnique([...new Set(keys)]);
}

/** `qdictOrder` of keys without repeats (in first-insertion order). */
export function qdictOrderOfUnique(keys: readonly string[]): string[] {
  const n = keys.length;
  if (n < 2) return [...keys];
  // one number per key: bucket major, then the later insertion first; a numeric sort does the rest
  const order = new Float64Array(n);
  for (let i = 0; i < n; i++) order[i] = (tdbHash(keys[i]!) % QDICT_BUCKET_MAX) * n + (n - 1 - i);
  order.sort();
  const out = new Array<string>(n);
  for (let j = 0; j < n; j++) out[j] = keys[n - 1 - (order[j]! % n)]!;
  return out;
}
