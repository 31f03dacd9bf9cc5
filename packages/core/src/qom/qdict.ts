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
  const first = [...new Set(keys)];
  if (first.length < 2) return first;
  const slots = first.map((k, i) => ({ k, i, bucket: tdbHash(k) % QDICT_BUCKET_MAX }));
  slots.sort((a, b) => a.bucket - b.bucket || b.i - a.i);
  return slots.map((s) => s.k);
}
