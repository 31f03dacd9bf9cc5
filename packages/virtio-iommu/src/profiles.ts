import type { ProfileId } from '@viommu/core';

/**
 * What each QEMU profile's virtio-iommu has (hw/virtio/virtio-iommu.c, virtio-iommu-pci.c,
 * hw/core/machine.c, hw/i386/pc*.c, hw/arm/virt.c of each release; reference
 * `qemu-host-iommu-smmuv3.md` §6, §8). Code asks this table, never a version number.
 */
export interface VirtioIommuProfile {
  /**
   * How a passthrough device's page sizes and IOVA ranges reach the device:
   * - `memory-region` (7.2 – 9.0): VFIO's listener calls the IOMMU region's
   *   `iommu_set_page_size_mask` when it registers its notifier;
   * - `host-iommu-device` (9.1+): `set_iommu_device` with the `HostIOMMUDevice`.
   */
  readonly negotiation: 'memory-region' | 'host-iommu-device';
  /** `granule` (`GranuleMode`) and `aw-bits` exist (9.0+); else the mask is `TARGET_PAGE_MASK`, the range 64-bit. */
  readonly granuleAwBits: boolean;
  /** `virtio_iommu_freeze_granule` runs at machine-init-done (8.1+). */
  readonly freezeGranule: boolean;
  /**
   * Command-line reserved regions: `len-reserved-regions` + `reserved-regions[i]` (7.2), or
   * the list property `reserved-regions` (8.2+, settable only from JSON `-device`).
   */
  readonly reservedRegionsProp: 'len-array' | 'list';
  /**
   * Whose `-device virtio-iommu-pci,help` list the generic virtio/PCI properties follow:
   * Debian's 7.2 or 10.0 (10.2 and upstream use 10.0's; not re-read).
   */
  readonly propertyList: '7.2' | '10.0';
}

const P7_2: VirtioIommuProfile = {
  negotiation: 'memory-region',
  granuleAwBits: false,
  freezeGranule: false,
  reservedRegionsProp: 'len-array',
  propertyList: '7.2',
};

const P10_0: VirtioIommuProfile = {
  negotiation: 'host-iommu-device',
  granuleAwBits: true,
  freezeGranule: true,
  reservedRegionsProp: 'list',
  propertyList: '10.0',
};

export const VIRTIO_IOMMU_PROFILES: Readonly<Record<ProfileId, VirtioIommuProfile>> = {
  '7.2': P7_2,
  '10.0': P10_0,
  '10.2': P10_0,
  upstream: P10_0,
};
