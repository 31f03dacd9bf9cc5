/**
 * Memoizes a pure function of one primitive key (a kernel release, a command line, a register
 * value). Each answer is computed once and frozen, so the scenarios that share it share
 * nothing mutable; a key whose computation throws is not cached (the next call throws again).
 * At `limit` entries the cache starts over, so a long run over many hosts stays bounded.
 */
export function memoizePure<K extends string | number | bigint, V>(fn: (key: K) => V, limit = 1024): (key: K) => Readonly<V> {
  const cache = new Map<K, Readonly<V>>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      if (cache.size >= limit) cache.clear();
      v = Object.freeze(fn(key));
      cache.set(key, v);
    }
    return v;
  };
}
