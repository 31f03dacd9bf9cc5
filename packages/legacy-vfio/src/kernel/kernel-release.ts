import { kernelVersion } from '@viommu/core';

/**
 * What the VFIO type1 code does differently across kernel releases, as data (the mainline
 * release that merged each change).
 */
export interface Type1KernelTraits {
  /** `vfio_info_cap_add` rounds every capability up to 8 bytes (v6.7, "vfio: Fix capability chain alignment"). */
  readonly capsAligned: boolean;
  /** A device opened through its cdev blocks opening its group (`cdev_device_open_cnt`, v6.6). */
  readonly cdevBlocksGroup: boolean;
}

const since = (v: readonly [number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/** The traits of a kernel release string (`6.12.38+deb13-amd64`). */
export function type1KernelTraits(release: string): Type1KernelTraits {
  const v = kernelVersion(release);
  return { capsAligned: since(v, 6, 7), cdevBlocksGroup: since(v, 6, 6) };
}

/** `dma_entry_limit` module parameter of `vfio_iommu_type1` (default `U16_MAX`). */
export function dmaEntryLimit(params: Readonly<Record<string, string>> | undefined): number {
  const v = params?.['vfio_iommu_type1.dma_entry_limit'];
  return v === undefined ? 65535 : Number(v);
}
