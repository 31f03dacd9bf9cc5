import type { QemuError } from './errors.js';

/** `IOMMU_NOTIFIER_*` flags a VFIO container registers on an IOMMU memory region. */
export const IOMMU_NOTIFIER_UNMAP = 1 << 0;
export const IOMMU_NOTIFIER_MAP = 1 << 1;
export const IOMMU_NOTIFIER_DEVIOTLB_UNMAP = 1 << 2;
export const IOMMU_NOTIFIER_IOTLB_EVENTS = IOMMU_NOTIFIER_MAP | IOMMU_NOTIFIER_UNMAP;

/**
 * An IOMMU memory region (QEMU `IOMMUMemoryRegion`): how an emulated vIOMMU translates a
 * device's DMA. VFIO's memory listener asks it to accept notifiers; a refusal is the error
 * behind `memory listener initialization failed: Region <name>: …`.
 */
export interface IOMMUMemoryRegion {
  readonly name: string;
  /** `memory_region_iommu_set_page_size_mask`; returns an error to refuse. Optional. */
  setPageSizeMask?(mask: bigint): QemuError | null;
  /** `notify_flag_changed` when a notifier with `flags` is added; returns an error to refuse. */
  notifyFlagChanged(flags: number): QemuError | null;
}

/**
 * A DMA address space (QEMU `AddressSpace`). Containers are shared per address space:
 * with no vIOMMU every device uses the machine's one `address_space_memory`.
 */
export interface AddressSpace {
  readonly name: string;
  /** The IOMMU region at its root, or null for plain system memory. */
  readonly iommu: IOMMUMemoryRegion | null;
}

/** A machine's `address_space_memory`; create one per machine (scenario). */
export function createAddressSpaceMemory(): AddressSpace {
  return { name: 'memory', iommu: null };
}
