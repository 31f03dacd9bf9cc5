import type { IovaRange } from '@viommu/core';

/** `PAGE_SIZE` of the simulated kernel (4 KiB). */
export const PAGE_SIZE = 4096n;

/** `ULONG_MAX` on a 64-bit kernel: the last IOVA. */
export const IOVA_LAST = (1n << 64n) - 1n;

/** Whether two inclusive ranges intersect. */
export function overlaps(a: IovaRange, b: IovaRange): boolean {
  return a.start <= b.last && b.start <= a.last;
}

/**
 * The allowed IOVA ranges of an IOAS: `[0, ULONG_MAX]` minus every reserved range, sorted
 * (`iommufd_ioas_iova_ranges` walks the holes of the reserved interval tree).
 */
export function allowedRanges(reserved: readonly IovaRange[]): IovaRange[] {
  const sorted = [...reserved].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: IovaRange[] = [];
  let next = 0n;
  let done = false;
  for (const r of sorted) {
    if (r.last < next) continue;
    if (r.start > next) out.push({ start: next, last: r.start - 1n });
    if (r.last === IOVA_LAST) {
      done = true;
      break;
    }
    next = r.last + 1n;
  }
  if (!done) out.push({ start: next, last: IOVA_LAST });
  return out;
}

/** The reserved ranges outside a domain's aperture (`iopt_table_add_domain`). */
export function outsideAperture(aperture: IovaRange): IovaRange[] {
  const out: IovaRange[] = [];
  if (aperture.start > 0n) out.push({ start: 0n, last: aperture.start - 1n });
  if (aperture.last < IOVA_LAST) out.push({ start: aperture.last + 1n, last: IOVA_LAST });
  return out;
}

/** Lowest set bit of a non-zero value (`1UL << __ffs(x)`). */
export function lowestBit(x: bigint): bigint {
  return x & -x;
}
