import type { ProfileId, PropertyDecl } from '@viommu/core';
import { VTD_PROFILES, vtdProperties } from '../../src/index.js';

/** mulberry32: a small seeded PRNG, so the same seed gives the same cases on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values QEMU accepts at parse time for a property of this type, and values it refuses. */
function candidates(d: PropertyDecl): { valid: string[]; invalid: string[] } {
  if (d.type === 'bool') return { valid: ['on', 'off', 'yes', 'no', 'true', 'false'], invalid: ['maybe', '1', 'On'] };
  if (d.type === 'OnOffAuto') return { valid: ['on', 'off', 'auto'], invalid: ['maybe', 'yes'] };
  if (d.name === 'aw-bits') return { valid: ['39', '48', '0x30', '0x27', '047', '40', '57', '0', '64'], invalid: ['-1', '256', 'abc', '0x100'] };
  if (d.type === 'uint8') return { valid: ['0', '1', '8', '0x10', '20', '255'], invalid: ['-1', '256', 'x'] };
  return { valid: ['0', '3', '0x10', '4294967295'], invalid: ['-1', '4294967296', 'v1'] };
}

/**
 * `n` option strings for `-device intel-iommu,<options>` in `profile`: every property appears,
 * valid values dominate (so registers are compared), at most one value per case fails QOM
 * parsing (QEMU applies a device's options in hash order, so two parse errors race), and some
 * cases repeat a key (the last wins) or name an unknown property. Scalable mode and first stage
 * are switched on in a share of the cases so the checks that depend on them are reached.
 */
export function generateCases(profile: ProfileId, seed: number, n: number): string[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const decls = vtdProperties(profile);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    // Walk the property list in turn so each one is covered, then add random others.
    const parts: string[] = [];
    const p = VTD_PROFILES[profile];
    if (rnd() < 0.4) parts.push(`${p.scalableProp}=on`);
    if (p.fstsProp && rnd() < 0.3) parts.push(`${p.fstsProp}=on`);
    const first = decls[i % decls.length]!;
    const count = Math.floor(rnd() * 5);
    const chosen = [first, ...Array.from({ length: count }, () => pick(decls))];
    let parseErrorUsed = false;
    for (const d of chosen) {
      const { valid, invalid } = candidates(d);
      const bad = !parseErrorUsed && rnd() < 0.08;
      if (bad) parseErrorUsed = true;
      parts.push(`${d.name}=${bad ? pick(invalid) : pick(valid)}`);
    }
    if (rnd() < 0.1) {
      const d = pick(decls);
      parts.push(`${d.name}=${pick(candidates(d).valid)}`, `${d.name}=${pick(candidates(d).valid)}`);
    }
    if (!parseErrorUsed && rnd() < 0.03) parts.push(pick(['x-flts=on', 'pasid-bits=8', 'svm=on', 'nosuch=1']));
    out.push(parts.join(','));
  }
  return out;
}
