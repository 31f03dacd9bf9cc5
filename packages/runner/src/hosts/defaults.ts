import { kernelFeatures, type HostIommuUnit, type HostKernelModel, type HostPciDevice } from '@viommu/core';

/**
 * The named defaults for host facts a printout does not show. Every use adds a sentence to the
 * host's `assumed` list; nothing here is ever presented as observed. docs/hosts.md prints this
 * table.
 */
export const HOST_DEFAULTS = {
  /**
   * Kernel release when none was printed: the newest release whose iommufd/VFIO uAPI the model
   * covers (linux-iommu-uapi.md §1), so a check exercises everything the hardware offers.
   */
  kernelRelease: '6.17.0',
  /**
   * Boot options when none were printed, by unit vendor. VT-d: `intel_iommu=on`, which distros
   * built without CONFIG_INTEL_IOMMU_DEFAULT_ON need for VFIO at all.
   */
  cmdline: { intel: 'intel_iommu=on', arm: '', amd: '' } as Readonly<Record<string, string>>,
  /** `/dev/vfio/vfio` (type1 container or iommufd's compat) is present. */
  vfioType1: true,
  /** Passthrough devices when the printout names none: one per unit, bound to vfio-pci, each in its own group. */
  driver: 'vfio-pci',
} as const;

/** What a capture showed of the kernel; each absent fact is filled by a default and listed in `assumed`. */
export interface PrintedKernel {
  readonly release?: string;
  readonly cmdline?: string;
  /** Device nodes seen (`/dev/iommu`, `/dev/vfio/devices`, `/dev/vfio/vfio`); absent when `/dev` was not captured. */
  readonly nodes?: { readonly iommufd: boolean; readonly vfioCdev: boolean; readonly vfioType1: boolean };
  readonly params?: Readonly<Record<string, string>>;
}

/** The kernel model of a capture: printed facts as printed, the rest from `HOST_DEFAULTS` (`/dev` nodes follow the release). */
export function defaultKernel(vendor: string, printed: PrintedKernel, assumed: string[]): HostKernelModel {
  const release = printed.release ?? HOST_DEFAULTS.kernelRelease;
  if (printed.release === undefined) assumed.push(`kernel release not printed; assumed ${release} (HOST_DEFAULTS.kernelRelease)`);
  const cmdline = printed.cmdline ?? HOST_DEFAULTS.cmdline[vendor] ?? '';
  if (printed.cmdline === undefined) assumed.push(`kernel command line not printed; assumed '${cmdline}' (HOST_DEFAULTS.cmdline.${vendor})`);
  let nodes = printed.nodes;
  if (!nodes) {
    const f = kernelFeatures(release);
    nodes = { iommufd: f.iommufd, vfioCdev: f.vfioCdev, vfioType1: HOST_DEFAULTS.vfioType1 };
    assumed.push(
      `/dev not captured; assumed what kernel ${release} offers by default: /dev/iommu ${f.iommufd ? 'present' : 'absent'} (iommufd, 6.2), VFIO cdevs ${f.vfioCdev ? 'present' : 'absent'} (6.6), /dev/vfio/vfio present`,
    );
  }
  return { release, cmdline, ...nodes, ...(printed.params ? { params: printed.params } : {}) };
}

/**
 * One assumed passthrough device per unit: `0000:<n+1>:00.0` behind the n-th unit, bound to
 * vfio-pci, alone in IOMMU group n, no PASID or ATS capability. A device's unit decides its
 * checks, so every unit of a multi-unit host gets one.
 */
export function defaultDevices(units: readonly HostIommuUnit[], assumed: string[]): HostPciDevice[] {
  const devices = units.map((u, n) => ({
    bdf: `0000:${(n + 1).toString(16).padStart(2, '0')}:00.0`,
    unit: u.name,
    group: n,
    driver: HOST_DEFAULTS.driver,
    description: `assumed passthrough device behind ${u.name}`,
  }));
  if (devices.length) {
    assumed.push(
      `PCI devices not printed; assumed one ${HOST_DEFAULTS.driver}-bound device per unit (${devices.map((d) => `${d.bdf} → ${d.unit}`).join(', ')}), each alone in its IOMMU group, without PASID or ATS`,
    );
  }
  return devices;
}
