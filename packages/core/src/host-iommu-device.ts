import { QemuError } from './errors.js';
import type { IommuHwInfoData, IovaRange } from './uapi/iommufd.js';
import { IOMMU_HW_CAP_PCI_PASID_EXEC, IOMMU_HW_CAP_PCI_PASID_PRIV } from './uapi/iommufd.js';
import type { PCIBus } from './pci/topology.js';

/**
 * QEMU's host IOMMU device ("hiod"), `include/system/host_iommu_device.h`: what a vIOMMU
 * learns about the host IOMMU behind one passthrough device. Exists from QEMU 9.1.
 */

/** QOM type names (QEMU's `TYPE_HOST_IOMMU_DEVICE*`). */
export const TYPE_HOST_IOMMU_DEVICE = 'host-iommu-device';
export const TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO = 'host-iommu-device-legacy-vfio';
export const TYPE_HOST_IOMMU_DEVICE_IOMMUFD = 'host-iommu-device-iommufd';
export const TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO = 'host-iommu-device-iommufd-vfio';
/** vDPA flavours: declared for plugins; no backend in viommu implements them yet. */
export const TYPE_HOST_IOMMU_DEVICE_LEGACY_VDPA = 'host-iommu-device-legacy-vdpa';
export const TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VDPA = 'host-iommu-device-iommufd-vdpa';

/** `HOST_IOMMU_DEVICE_CAP_*`. */
export const HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE = 0;
export const HOST_IOMMU_DEVICE_CAP_AW_BITS = 1;
export const HOST_IOMMU_DEVICE_CAP_AW_BITS_MAX = 64;

/**
 * `HostIOMMUDeviceCaps` (QEMU master): filled by the iommufd realize from
 * `IOMMU_GET_HW_INFO`; all zero for legacy VFIO. Versions that lack a field leave it zero.
 */
export interface HostIOMMUDeviceCaps {
  /** `out_data_type`: `IOMMU_HW_INFO_TYPE_*`. */
  readonly type: number;
  /** `out_capabilities`: `IOMMU_HW_CAP_*`. */
  readonly hw_caps: bigint;
  /** `out_max_pasid_log2` (master; 0 = no PASID). */
  readonly max_pasid_log2: number;
  /** `vendor_caps` (10.1+): the raw vendor struct, or null where the profile keeps none. */
  readonly vendor_caps: IommuHwInfoData | null;
}

export const ZERO_CAPS: HostIOMMUDeviceCaps = Object.freeze({
  type: 0,
  hw_caps: 0n,
  max_pasid_log2: 0,
  vendor_caps: null,
});

/** `PasidInfo` of `get_pasid_info` (master). */
export interface PasidInfo {
  readonly exec_perm: boolean;
  readonly priv_mod: boolean;
  readonly max_pasid_log2: number;
}

/**
 * The abstract host IOMMU device. Subclasses live in the backend packages
 * (`@viommu/legacy-vfio`, `@viommu/iommufd`); vIOMMUs only see this contract.
 *
 * `realize` is the only fallible step and fills `caps`; everything else is pure.
 */
export abstract class HostIOMMUDevice {
  /** QOM type name of the concrete class. */
  abstract readonly typeName: string;
  /** QOM ancestry from the concrete type up to `host-iommu-device` (for `isA`). */
  abstract readonly typeAncestors: readonly string[];

  /** `name`: the VFIO device name, e.g. `0000:01:00.0`. Set by realize. */
  name = '';
  /** `caps`: set by realize. */
  caps: HostIOMMUDeviceCaps = ZERO_CAPS;
  /** `aliased_bus` / `aliased_devfn`: set by `pci_device_set_iommu_device`. */
  aliasedBus: PCIBus | null = null;
  aliasedDevfn = -1;

  /** `object_dynamic_cast(hiod, type) != NULL`. */
  isA(type: string): boolean {
    return this.typeAncestors.includes(type);
  }

  /**
   * `HostIOMMUDeviceClass.realize`: reads host facts through the backend.
   * @throws QemuError with QEMU's message (e.g. `Failed to get hardware info: …`).
   */
  abstract realize(): void;

  /**
   * `HostIOMMUDeviceClass.get_cap`, or undefined when the class has no `get_cap`
   * (callers then print `.get_cap() not implemented`). Returns 0 for unsupported-but-known
   * values, a positive value otherwise.
   * @throws QemuError `"<name>: unsupported capability <hex>"` for an unknown id (QEMU: -EINVAL).
   */
  abstract readonly getCap?: (cap: number) => number;

  /** `get_iova_ranges`: the container's usable IOVA ranges (a copy; may be empty). */
  abstract getIovaRanges(): IovaRange[];

  /** `get_page_size_mask`: the container's `pgsizes`. */
  abstract getPageSizeMask(): bigint;

  /** `get_pasid_info` (master, iommufd only): null when `max_pasid_log2 == 0`. */
  getPasidInfo(): PasidInfo | null {
    if (this.caps.max_pasid_log2 === 0) return null;
    return {
      exec_perm: (this.caps.hw_caps & IOMMU_HW_CAP_PCI_PASID_EXEC) !== 0n,
      priv_mod: (this.caps.hw_caps & IOMMU_HW_CAP_PCI_PASID_PRIV) !== 0n,
      max_pasid_log2: this.caps.max_pasid_log2,
    };
  }

  /** QEMU's error for a cap id the class does not know. */
  protected unsupportedCap(cap: number): QemuError {
    return new QemuError(`${this.name}: unsupported capability ${cap.toString(16)}`, 'set-iommu-device', 'EINVAL');
  }
}

/** `vfio_device_get_aw_bits`: highest bit of the last usable range's end + 1, or 64. */
export function awBitsFromIovaRanges(ranges: readonly IovaRange[]): number {
  const last = ranges.at(-1);
  if (!last) return HOST_IOMMU_DEVICE_CAP_AW_BITS_MAX;
  return last.last === 0n ? 0 : last.last.toString(2).length;
}
