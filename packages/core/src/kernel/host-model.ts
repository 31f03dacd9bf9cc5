/**
 * The host model: everything viommu knows about one machine's IOMMU side, as the kernel
 * would see it. Registers are bigint exactly as printed. Facts the source did not show are
 * filled by named defaults and listed in `assumed`, never presented as observed.
 */

/** One IOMMU hardware unit (a VT-d DRHD `dmarN`, an SMMUv3 instance). */
export interface HostIommuUnit {
  /** Kernel name: `dmar0`, `smmu3.0x0000000009050000`, … */
  readonly name: string;
  /** Which vendor driver drives it (`intel`, `arm`, …: a registered `IommuDriver.vendor`). */
  readonly vendor: string;
  /**
   * Raw registers by the name the vendor package uses (`cap`, `ecap` for VT-d; `idr0`…`idr5`,
   * `iidr`, `aidr` for SMMUv3). Always bigint.
   */
  readonly registers: Readonly<Record<string, bigint>>;
  /** MMIO base as printed (`reg_base_addr`), if known. */
  readonly regBase?: bigint;
  /** Version as printed (`1:0`, `4:0`), if known. */
  readonly version?: string;
  /** Vendor-specific extra facts (e.g. SMMUv3 option lines, the `features 0x…` word). */
  readonly extra?: Readonly<Record<string, string | number | boolean | bigint>>;
}

/** One PCI function of the host that may be passed through. */
export interface HostPciDevice {
  /** `0000:17:00.0`. */
  readonly bdf: string;
  /** Name of the IOMMU unit it sits behind. */
  readonly unit: string;
  /** Its IOMMU group number. */
  readonly group: number;
  /** Bound to `vfio-pci` (else VFIO cannot open it). */
  readonly driver: string;
  /** PCI PASID capability width (0 = none). */
  readonly pasidLog2?: number;
  /** PASID execute / privileged-mode permissions enabled in the PASID control register. */
  readonly pasidExec?: boolean;
  readonly pasidPriv?: boolean;
  /** ATS capability. */
  readonly ats?: boolean;
  /** Vendor:device id for people, e.g. `8086:1572`. */
  readonly id?: string;
  readonly description?: string;
}

/** The kernel and which interfaces a VMM can use. */
export interface HostKernelModel {
  /** `uname -r`, e.g. `6.12.38+deb13-amd64`. */
  readonly release: string;
  /** `/proc/cmdline`. */
  readonly cmdline: string;
  /** `/dev/iommu` exists (CONFIG_IOMMUFD). */
  readonly iommufd: boolean;
  /** `/dev/vfio/devices/vfioN` exist (CONFIG_VFIO_DEVICE_CDEV). */
  readonly vfioCdev: boolean;
  /** `/dev/vfio/vfio` is the type1 container (CONFIG_VFIO_IOMMU_TYPE1 or iommufd compat). */
  readonly vfioType1: boolean;
  /** Driver module parameters affecting IOMMU behaviour, e.g. `{ 'vfio_iommu_type1.allow_unsafe_interrupts': 'N' }`. */
  readonly params?: Readonly<Record<string, string>>;
}

/** Where a host model's facts come from. */
export interface HostProvenance {
  /** `catalogue`, `dmesg`, `sysfs`, `probe`, `hand-written`, … */
  readonly kind: string;
  /** A file, repository path or URL. */
  readonly source?: string;
  /** The raw lines the registers were read from. */
  readonly raw?: readonly string[];
}

/** A whole host. */
export interface HostModel {
  readonly id: string;
  readonly description?: string;
  readonly arch: 'x86_64' | 'aarch64';
  readonly kernel: HostKernelModel;
  readonly units: readonly HostIommuUnit[];
  readonly devices: readonly HostPciDevice[];
  readonly provenance?: HostProvenance;
  /** Human sentences naming each fact that was filled by a default rather than observed. */
  readonly assumed?: readonly string[];
}

/**
 * What a vendor's host-printout parser (boot log, sysfs) read: the units, and for the import
 * report one sentence per fact found (naming the line or file it came from) and per fact
 * filled by a default. `raw` holds the lines the units were read from (provenance).
 */
export interface ParsedHostUnits {
  readonly units: HostIommuUnit[];
  readonly found: string[];
  readonly assumed: string[];
  readonly raw: string[];
}
