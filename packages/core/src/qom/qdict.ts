/** `QDICT_BUCKET_MAX` (qobject/qdict.c). */
const QDICT_BUCKET_MAX = 512;

/** `tdb_hash` (qobject/qdict.c): the bucket hash of a QDict key (bytes of its UTF-8 form). */
export function tdbHash(name: string): number {
  const bytes = new TextEncoder().encode(name);
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) value = (value + ((bytes[i]! << ((i * 5) % 24)) >>> 0)) >>> 0;
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
  const pos = new Map(first.map((k, i) => [k, i]));
  const bucket = (k: string) => tdbHash(k) % QDICT_BUCKET_MAX;
  return first.sort((a, b) => bucket(a) - bucket(b) || pos.get(b)! - pos.get(a)!);
}
