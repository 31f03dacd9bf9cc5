import { kernelBoolParam, kernelVersion, memoizePure, type HostKernelModel } from '@viommu/core';

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

/** The traits of a kernel release string (`6.12.38+deb13-amd64`); frozen, once per release. */
export const type1KernelTraits: (release: string) => Type1KernelTraits = memoizePure((release: string): Type1KernelTraits => {
  const v = kernelVersion(release);
  return { capsAligned: since(v, 6, 7), cdevBlocksGroup: since(v, 6, 6) };
});

/** The host facts the type1 code reads: whether the driver is there, the release, module parameters. */
export interface Type1Env {
  /** `vfio_iommu_type1` is registered (`host.kernel.vfioType1`). */
  readonly type1: boolean;
  readonly traits: Type1KernelTraits;
  /** `vfio_iommu_type1.dma_entry_limit` (default `U16_MAX`). */
  readonly dmaEntryLimit: number;
  /** `vfio_iommu_type1.allow_unsafe_interrupts` (default N). */
  readonly allowUnsafeInterrupts: boolean;
}

/** Reads a host kernel model into the type1 environment. */
export function type1Env(kernel: HostKernelModel): Type1Env {
  const limit = kernel.params?.['vfio_iommu_type1.dma_entry_limit'];
  return {
    type1: kernel.vfioType1,
    traits: type1KernelTraits(kernel.release),
    dmaEntryLimit: limit === undefined ? 65535 : Number(limit),
    allowUnsafeInterrupts: kernelBoolParam(kernel, 'vfio_iommu_type1.allow_unsafe_interrupts'),
  };
}
