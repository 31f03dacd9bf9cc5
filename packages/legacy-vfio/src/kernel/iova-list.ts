import { KernelError, U64_MAX, type IovaRange } from '@viommu/core';

/**
 * The usable IOVA list of a type1 container (`iommu->iova_list`,
 * `drivers/vfio/vfio_iommu_type1.c`): the intersection of every domain's aperture minus
 * every attached group's reserved regions, sorted, inclusive ends.
 */

/** `PAGE_SIZE` of the host kernel: 4 KiB (x86_64, and aarch64 kernels built with 4K pages). */
export const PAGE_SIZE = 0x1000n;
const PAGE_MASK = U64_MAX & ~(PAGE_SIZE - 1n);

/**
 * `vfio_iommu_aper_conflict` + `vfio_iommu_aper_resize`: clips the list to a new domain's
 * aperture; an empty list becomes the aperture itself.
 * @throws KernelError EINVAL when the aperture is disjoint from the current list.
 */
export function iovaAperResize(list: readonly IovaRange[], aperture: IovaRange): IovaRange[] {
  const first = list[0];
  const last = list.at(-1);
  if (!first || !last) return [{ start: aperture.start, last: aperture.last }];
  if (aperture.start > last.last || aperture.last < first.start) {
    throw new KernelError('EINVAL', 'VFIO_SET_IOMMU', 'vfio_iommu_aper_conflict: aperture disjoint from the IOVA list');
  }
  const out: IovaRange[] = [];
  for (const n of list) {
    const start = n.start > aperture.start ? n.start : aperture.start;
    const end = n.last < aperture.last ? n.last : aperture.last;
    if (start <= end) out.push({ start, last: end });
  }
  return out;
}

/**
 * `vfio_iommu_resv_exclude`: removes reserved regions, splitting the ranges they cut.
 * @throws KernelError EINVAL when nothing usable is left.
 */
export function iovaResvExclude(list: readonly IovaRange[], resv: readonly IovaRange[]): IovaRange[] {
  let out = list.slice();
  for (const r of resv) {
    const next: IovaRange[] = [];
    for (const n of out) {
      if (r.start > n.last || r.last < n.start) {
        next.push(n);
        continue;
      }
      if (r.start > n.start) next.push({ start: n.start, last: r.start - 1n });
      if (r.last < n.last) next.push({ start: r.last + 1n, last: n.last });
    }
    out = next;
  }
  if (out.length === 0) {
    throw new KernelError('EINVAL', 'VFIO_SET_IOMMU', 'vfio_iommu_resv_exclude: no usable IOVA left');
  }
  return out;
}

/**
 * `vfio_update_pgsize_bitmap`: the page sizes every domain supports, with sizes below
 * `PAGE_SIZE` folded into `PAGE_SIZE`. No domain: `ULONG_MAX` folded the same way.
 */
export function pgsizeBitmap(domainBitmaps: readonly bigint[]): bigint {
  let bitmap = U64_MAX;
  for (const b of domainBitmaps) bitmap &= b;
  if ((bitmap & ~PAGE_MASK & U64_MAX) !== 0n) bitmap = (bitmap & PAGE_MASK) | PAGE_SIZE;
  return bitmap;
}
