import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HostIOMMUDevice,
  TYPE_HOST_IOMMU_DEVICE,
  TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO,
  awBitsFromIovaRanges,
  type IovaRange,
} from '@viommu/core';
import type { VFIODevice, VFIOLegacyContainer } from './structs.js';

/**
 * `TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO` (`hw/vfio/container-legacy.c`; 9.1–10.1:
 * `hw/vfio/container.c`): a plain `HostIOMMUDevice` whose facts all come from the agent's
 * container, read when asked (in 9.1–10.0 it is realized before the container exists).
 */
export class HostIOMMUDeviceLegacyVFIO extends HostIOMMUDevice {
  readonly typeName = TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO;
  readonly typeAncestors = [TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO, TYPE_HOST_IOMMU_DEVICE] as const;

  constructor(private readonly agent: VFIODevice) {
    super();
  }

  /** `hiod_legacy_vfio_realize`: sets the name; never fails, `caps` stay zero. */
  realize(): void {
    this.name = this.agent.name;
  }

  /** `hiod_legacy_vfio_get_cap`: only `HOST_IOMMU_DEVICE_CAP_AW_BITS` (`vfio_device_get_aw_bits`). */
  readonly getCap = (cap: number): number => {
    if (cap === HOST_IOMMU_DEVICE_CAP_AW_BITS) return awBitsFromIovaRanges(this.#container()?.iovaRanges ?? []);
    throw this.unsupportedCap(cap);
  };

  /** `hiod_legacy_vfio_get_iova_ranges`. */
  getIovaRanges(): IovaRange[] {
    return (this.#container()?.iovaRanges ?? []).map((r) => ({ start: r.start, last: r.last }));
  }

  /** `hiod_legacy_vfio_get_page_size_mask`. */
  getPageSizeMask(): bigint {
    return this.#container()?.pgsizes ?? 0n;
  }

  #container(): VFIOLegacyContainer | null {
    return this.agent.group?.container ?? null;
  }
}
