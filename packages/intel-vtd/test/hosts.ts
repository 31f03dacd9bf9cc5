import {
  awBitsFromIovaRanges,
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE,
  HostIOMMUDevice,
  kernelFeatures,
  TYPE_HOST_IOMMU_DEVICE,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO,
  TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO,
  ZERO_CAPS,
  type HostIommuUnit,
  type HostPciDevice,
  type IovaRange,
} from '@viommu/core';
import { IntelIommuDriver, type IntelIommuInstance } from '../src/index.js';

/**
 * Real DMAR units from public boot logs (the project's real-hosts data set; the raw line is
 * quoted with each).
 */
export const UNITS = {
  /** intel-001, ThinkPad W520, 6.12.38+deb13: `DMAR: dmar1: reg_base_addr fed91000 ver 1:0 cap c9008020660262 ecap f0105a` (MGAW 39). */
  desktop39: { name: 'dmar1', vendor: 'intel', registers: { cap: 0xc9008020660262n, ecap: 0xf0105an } },
  /** intel-018, Dell PowerEdge R650 (Xeon Silver 4314): `cap 8ed008c40780466 ecap 60000f050df` (no scalable mode, no nesting). */
  serverNoSm: { name: 'dmar0', vendor: 'intel', registers: { cap: 0x8ed008c40780466n, ecap: 0x60000f050dfn } },
  /** intel-068, Dell PowerEdge R770 (Xeon 6515P), 6.8.0: `cap f9ed008cee780c66 ecap 3fef9ea6f0efdf` (NEST, FS1GP, bit 63 set). */
  serverNested: { name: 'dmar0', vendor: 'intel', registers: { cap: 0xf9ed008cee780c66n, ecap: 0x3fef9ea6f0efdfn } },
} satisfies Record<string, HostIommuUnit>;

export const DEV: HostPciDevice = { bdf: '0000:17:00.0', unit: 'dmar0', group: 7, driver: 'vfio-pci', pasidLog2: 20 };

export function probe(unit: HostIommuUnit, release = '6.12.38', cmdline = ''): IntelIommuInstance {
  return new IntelIommuDriver().probe(unit, kernelFeatures(release), cmdline) as IntelIommuInstance;
}

/** The IOAS's usable IOVA ranges: the domain aperture minus the reserved MSI window. */
export function iovaRanges(inst: IntelIommuInstance): IovaRange[] {
  const [msi] = inst.reservedRegions(DEV);
  return [
    { start: 0n, last: msi!.start - 1n },
    { start: msi!.last + 1n, last: inst.aperture.last },
  ];
}

/**
 * A minimal host IOMMU device for vIOMMU tests: legacy VFIO (zero caps) or iommufd (the unit's
 * hw_info as `vendor_caps`), with the AW bits of the unit's IOVA ranges.
 */
export class TestHiod extends HostIOMMUDevice {
  readonly typeName: string;
  readonly typeAncestors: readonly string[];
  readonly #ranges: IovaRange[];
  getCap?: (cap: number) => number = (cap) => {
    if (cap === HOST_IOMMU_DEVICE_CAP_IOMMU_TYPE) return this.caps.type;
    if (cap === HOST_IOMMU_DEVICE_CAP_AW_BITS) return awBitsFromIovaRanges(this.#ranges);
    throw this.unsupportedCap(cap);
  };

  constructor(
    readonly backend: 'legacy' | 'iommufd',
    inst: IntelIommuInstance,
    name = DEV.bdf,
  ) {
    super();
    this.name = name;
    this.#ranges = iovaRanges(inst);
    this.typeName = backend === 'legacy' ? TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO : TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO;
    this.typeAncestors =
      backend === 'legacy'
        ? [TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO, TYPE_HOST_IOMMU_DEVICE]
        : [TYPE_HOST_IOMMU_DEVICE_IOMMUFD_VFIO, TYPE_HOST_IOMMU_DEVICE_IOMMUFD, TYPE_HOST_IOMMU_DEVICE];
    if (backend === 'iommufd') {
      const info = inst.hwInfo!(DEV, 0);
      this.caps = { type: info.type, hw_caps: 0n, max_pasid_log2: 0, vendor_caps: info.data };
    } else {
      this.caps = ZERO_CAPS;
    }
  }

  realize(): void {}
  getIovaRanges(): IovaRange[] {
    return [...this.#ranges];
  }
  getPageSizeMask(): bigint {
    return 0x40201000n;
  }
}
