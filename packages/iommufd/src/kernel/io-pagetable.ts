import {
  IOMMU_IOAS_MAP_FIXED_IOVA,
  KernelError,
  type IommuIoasMap,
  type IommuIoasUnmap,
  type IovaRange,
} from '@viommu/core';
import { allowedRanges, IOVA_LAST, lowestBit, overlaps, PAGE_SIZE } from './iova.js';
import type { IoasObj } from './objects.js';

/**
 * `iopt_map_user_pages` / `iopt_check_iova` (`drivers/iommu/iommufd/io_pagetable.c`): maps
 * `length` bytes at a fixed or allocated IOVA; returns the IOVA.
 */
export function ioptMap(ioas: IoasObj, { reserved, alignment }: { reserved: IovaRange[]; alignment: bigint }, arg: IommuIoasMap): bigint {
  const call = 'IOMMU_IOAS_MAP';
  if (arg.length === 0n) throw new KernelError('EINVAL', call, 'length 0');
  const busy = (r: IovaRange) => ioas.areas.some((a) => overlaps({ start: a.iova, last: a.iova + a.length - 1n }, r));
  let iova: bigint;
  if (arg.flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
    iova = arg.iova;
    const r = { start: iova, last: iova + arg.length - 1n };
    if (iova % alignment) throw new KernelError('EINVAL', call, 'iova not aligned');
    if (r.last > IOVA_LAST) throw new KernelError('EOVERFLOW', call, 'iova + length');
    if (reserved.some((x) => overlaps(x, r))) throw new KernelError('EINVAL', call, 'iova in a reserved range');
    if (busy(r)) throw new KernelError('EEXIST', call, 'iova already mapped');
  } else {
    iova = ioptAllocIova(allowedRanges(reserved), arg, alignment, busy);
  }
  ioas.areas.push({ iova, length: arg.length });
  return iova;
}

/** `HPAGE_SIZE` (x86-64, CONFIG_TRANSPARENT_HUGEPAGE): the largest alignment `iopt_alloc_iova` asks. */
const HPAGE_SIZE = 2n << 20n;

/**
 * `iopt_alloc_iova`: the lowest free IOVA in `[PAGE_SIZE, ULONG_MAX - PAGE_SIZE]` aligned to
 * `roundup_pow_of_two(length)`, less when `user_va` is less aligned, at most `HPAGE_SIZE`.
 */
function ioptAllocIova(allowed: IovaRange[], arg: IommuIoasMap, alignment: bigint, busy: (r: IovaRange) => boolean): bigint {
  const call = 'IOMMU_IOAS_MAP';
  const { length, user_va: addr } = arg;
  if (length % alignment) throw new KernelError('EINVAL', call, 'length not aligned');
  if (length >= IOVA_LAST / 2n) throw new KernelError('EOVERFLOW', call);
  const pow2 = 1n << BigInt((length - 1n).toString(2).length);
  const wanted = addr && lowestBit(addr) < pow2 ? lowestBit(addr) : pow2;
  const align = wanted > HPAGE_SIZE ? HPAGE_SIZE : wanted;
  if (align < alignment) throw new KernelError('EINVAL', call, 'user_va alignment below the IOAS alignment');
  for (const hole of allowed) {
    const first = hole.start > PAGE_SIZE ? hole.start : PAGE_SIZE;
    const last = hole.last < IOVA_LAST - PAGE_SIZE ? hole.last : IOVA_LAST - PAGE_SIZE;
    for (let start = ((first + align - 1n) / align) * align; start + length - 1n <= last; start += align) {
      if (!busy({ start, last: start + length - 1n })) return start;
    }
  }
  throw new KernelError('ENOSPC', call, 'no free IOVA');
}

/** `iopt_unmap_iova`: whole areas only; `(0, U64_MAX)` unmaps everything. Returns the bytes unmapped. */
export function ioptUnmap(ioas: IoasObj, arg: IommuIoasUnmap): bigint {
  if (arg.iova === 0n && arg.length === IOVA_LAST) {
    const total = ioas.areas.reduce((s, a) => s + a.length, 0n);
    ioas.areas.length = 0;
    return total;
  }
  if (arg.length === 0n) throw new KernelError('EINVAL', 'IOMMU_IOAS_UNMAP', 'length 0');
  const r = { start: arg.iova, last: arg.iova + arg.length - 1n };
  const hit = ioas.areas.filter((a) => overlaps({ start: a.iova, last: a.iova + a.length - 1n }, r));
  const split = hit.some((a) => a.iova < r.start || a.iova + a.length - 1n > r.last);
  if (!hit.length || split) throw new KernelError('ENOENT', 'IOMMU_IOAS_UNMAP', split ? 'would split a mapping' : 'nothing mapped');
  for (const a of hit) ioas.areas.splice(ioas.areas.indexOf(a), 1);
  return hit.reduce((s, a) => s + a.length, 0n);
}
