import { QemuError, U64_MAX, type PropertyValues } from '@viommu/core';
import type { GranuleMode } from './properties.js';

/** `VIOMMU_PROBE_SIZE`: bytes of probe properties per request. */
export const VIOMMU_PROBE_SIZE = 512n;

/**
 * `struct virtio_iommu_config` as the guest reads it (linux/virtio_iommu.h), every field widened
 * to bigint. These are the device's guest-visible "registers".
 */
export interface VirtioIommuConfig {
  page_size_mask: bigint;
  readonly 'input_range.start': bigint;
  readonly 'input_range.end': bigint;
  readonly 'domain_range.start': bigint;
  readonly 'domain_range.end': bigint;
  readonly probe_size: bigint;
  readonly bypass: bigint;
}

/** The config field names in layout order (the plugin manifest's `registers`). */
export const VIRTIO_IOMMU_CONFIG_FIELDS = [
  'page_size_mask',
  'input_range.start',
  'input_range.end',
  'domain_range.start',
  'domain_range.end',
  'probe_size',
  'bypass',
] as const;

/** `-(size)` as a u64: every page size from `size` up. */
const maskFrom = (size: bigint) => (U64_MAX + 1n - size) & U64_MAX;

const GRANULE_SIZE: Readonly<Record<Exclude<GranuleMode, 'host'>, bigint>> = {
  '4k': 0x1000n,
  '8k': 0x2000n,
  '16k': 0x4000n,
  '64k': 0x10000n,
};

/** Inputs of the config computation that are not properties. */
export interface ConfigInputs {
  /** 7.2: `TARGET_PAGE_BITS`; the mask is `TARGET_PAGE_MASK`. Ignored when `granule` exists. */
  readonly targetPageBits: number;
  /** `qemu_real_host_page_size()` for `granule=host`. */
  readonly hostPageSize: bigint;
}

/**
 * The config `virtio_iommu_device_realize` computes (hw/virtio/virtio-iommu.c): `bypass` from
 * `boot-bypass`; 9.0+ checks `aw-bits` (32..64, `input_range.end = 2^aw-bits - 1`) and turns
 * `granule` into the page-size mask; 7.2 has `TARGET_PAGE_MASK` and a 64-bit input range.
 * @throws QemuError `aw-bits must be within [32,64]` (stage `realize`).
 */
export function virtioIommuRealizeConfig(props: PropertyValues, inputs: ConfigInputs): VirtioIommuConfig {
  let inputEnd = U64_MAX;
  let pageSizeMask = maskFrom(1n << BigInt(inputs.targetPageBits));
  if (props['aw-bits'] !== undefined) {
    const awBits = Number(props['aw-bits']);
    if (awBits < 32 || awBits > 64) throw new QemuError('aw-bits must be within [32,64]', 'realize');
    inputEnd = awBits === 64 ? U64_MAX : (1n << BigInt(awBits)) - 1n;
  }
  if (props.granule !== undefined) {
    const granule = props.granule as GranuleMode;
    pageSizeMask = maskFrom(granule === 'host' ? inputs.hostPageSize : GRANULE_SIZE[granule]);
  }
  return {
    page_size_mask: pageSizeMask,
    'input_range.start': 0n,
    'input_range.end': inputEnd,
    'domain_range.start': 0n,
    'domain_range.end': 0xffffffffn,
    probe_size: VIOMMU_PROBE_SIZE,
    bypass: props['boot-bypass'] === false ? 0n : 1n,
  };
}

/** `ctz64(mask)` as the page size it stands for (`BIT_ULL(ctz64(mask))`); 0 for an empty mask. */
export function granuleOf(mask: bigint): bigint {
  return mask === 0n ? 0n : mask & -mask;
}
