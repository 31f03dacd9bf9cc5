import { QemuError, U64_MAX, type IovaRange } from '@viommu/core';

/** `VIRTIO_IOMMU_RESV_MEM_T_*` (linux/virtio_iommu.h). */
export const VIRTIO_IOMMU_RESV_MEM_T_RESERVED = 0;
export const VIRTIO_IOMMU_RESV_MEM_T_MSI = 1;

/** QEMU's `ReservedRegion`: an inclusive range and its virtio-iommu subtype. */
export interface ReservedRegion {
  readonly start: bigint;
  readonly end: bigint;
  readonly type: number;
}

const HEX = /^\s*[+-]?(?:0[xX])?([0-9a-fA-F]+)/;
const DEC = /^\s*\+?([0-9]+)/;

/** `qemu_strtou64(str, &endptr, 16)`: the value and the rest, or null (EINVAL/ERANGE). */
function strtou64Hex(text: string): { value: bigint; rest: string } | null {
  const m = HEX.exec(text);
  if (!m) return null;
  const value = BigInt(`0x${m[1]}`);
  if (value > U64_MAX) return null;
  return { value: text.trimStart().startsWith('-') ? (value === 0n ? 0n : (1n << 64n) - value) : value, rest: text.slice(m[0].length) };
}

/**
 * `set_reserved_region` (hw/core/qdev-properties-system.c): `0xSTART:0xEND:TYPE`, addresses in
 * hex (the `0x` is optional), the type in decimal. Text after the type is ignored, as QEMU does.
 * The type is not range-checked here: `virtio_iommu_pci_realize` does that.
 * @param name the property name for messages (`reserved-regions[0]`)
 * @throws QemuError (option-parse) with QEMU's message.
 */
export function parseReservedRegion(name: string, text: string): ReservedRegion {
  const fail = (msg: string) => new QemuError(msg, 'option-parse');
  const separator = () => fail("reserved region fields must be separated with ':'");
  const lo = strtou64Hex(text);
  if (!lo) throw fail(`start address of '${name}' must be a hexadecimal integer`);
  if (!lo.rest.startsWith(':')) throw separator();
  const hi = strtou64Hex(lo.rest.slice(1));
  if (!hi) throw fail(`end address of '${name}' must be a hexadecimal integer`);
  if (!hi.rest.startsWith(':')) throw separator();
  const t = DEC.exec(hi.rest.slice(1));
  if (!t || BigInt(t[1]!) > 0xffffffffn) throw fail(`type of '${name}' must be a non-negative decimal integer`);
  return { start: lo.value, end: hi.value, type: Number(t[1]) };
}

/**
 * `range_compare` (util/range.c): -1 when `a` lies below `b`, 1 above, 0 when they overlap
 * **or touch** (adjacent ranges compare equal).
 */
function rangeCompare(a: { start: bigint; end: bigint }, b: { start: bigint; end: bigint }): number {
  if (b.start > 0n && b.start - 1n > a.end) return -1;
  if (a.start > 0n && a.start - 1n > b.end) return 1;
  return 0;
}

const contains = (outer: ReservedRegion, inner: ReservedRegion) => outer.start <= inner.start && inner.end <= outer.end;

/**
 * `resv_region_list_insert` (util/reserved-region.c, 8.2+): inserts `reg` into a sorted list;
 * where it overlaps existing regions the new one wins and the others are trimmed or split.
 * Returns a new list.
 */
export function resvRegionListInsert(list: readonly ReservedRegion[], reg: ReservedRegion): ReservedRegion[] {
  const out = [...list];
  let i = 0;
  while (i < out.length) {
    const it = out[i]!;
    const cmp = rangeCompare(it, reg);
    if (cmp < 0) {
      i++;
    } else if (cmp > 0) {
      out.splice(i, 0, reg);
      return out;
    } else if (contains(reg, it)) {
      out.splice(i, 1);
    } else if (contains(it, reg)) {
      if (it.start === reg.start) {
        out.splice(i, 1, reg, { ...it, start: reg.end + 1n });
        return out;
      }
      if (it.end === reg.end) {
        out[i] = { ...it, end: reg.start - 1n };
        i++;
      } else {
        out.splice(i, 1, { ...it, end: reg.start - 1n }, reg, { ...it, start: reg.end + 1n });
        return out;
      }
    } else if (reg.start < it.start) {
      out.splice(i, 1, reg, { ...it, start: reg.end + 1n });
      return out;
    } else {
      out[i] = { ...it, end: reg.start - 1n };
      i++;
    }
  }
  out.push(reg);
  return out;
}

/**
 * `range_inverse_array(ranges, &out, 0, UINT64_MAX)` (util/range.c): the holes between the
 * usable IOVA ranges (sorted, as the kernel reports them); touching ranges leave no hole.
 */
export function rangeInverseArray(ranges: readonly IovaRange[]): IovaRange[] {
  const high = U64_MAX;
  const out: IovaRange[] = [];
  const first = ranges[0];
  if (!first) return [{ start: 0n, last: high }];
  if (first.start > 0n) out.push({ start: 0n, last: first.start - 1n });
  const span = (r: IovaRange) => ({ start: r.start, end: r.last });
  for (let i = 0; i + 1 < ranges.length; i++) {
    const r = ranges[i]!;
    const rn = ranges[i + 1]!;
    if (r.start >= high) return out;
    if (rangeCompare(span(r), span(rn)) !== 0) out.push({ start: r.last + 1n, last: rn.start - 1n });
  }
  const last = ranges.at(-1)!;
  if (last.last < high) out.push({ start: last.last + 1n, last: high });
  return out;
}

/**
 * `rebuild_resv_regions` (9.1+; 8.2 – 9.0 in `virtio_iommu_set_iova_ranges`): host holes
 * first, all `RESERVED`, then the property/machine regions on top (they win on overlap).
 */
export function rebuildResvRegions(hostResv: readonly IovaRange[], propRegions: readonly ReservedRegion[]): ReservedRegion[] {
  let list: ReservedRegion[] = [];
  for (const r of hostResv) list = resvRegionListInsert(list, { start: r.start, end: r.last, type: VIRTIO_IOMMU_RESV_MEM_T_RESERVED });
  for (const r of propRegions) list = resvRegionListInsert(list, r);
  return list;
}
