/**
 * QEMU version profiles: what a QEMU release does on the VMM side of the negotiation, as
 * data. Code asks a profile, never a version number. Vendor packages keep their own
 * per-profile data (properties, register values, messages) keyed by the same ids.
 */

/** The profiles viommu ships. `upstream` is the newest source the reference describes. */
export type ProfileId = '7.2' | '10.0' | '10.2' | 'upstream';

export interface QemuProfile {
  readonly id: ProfileId;
  /** What the profile stands for, for people. */
  readonly release: string;
  /** `HostIOMMUDevice` and `set_iommu_device` exist (9.1+). */
  readonly hostIommuDevice: boolean;
  /** `-object iommufd` and `vfio-pci,iommufd=` exist (9.0+). */
  readonly iommufdBackend: boolean;
  /** When the iommufd hiod is realized: right after bind (9.1–10.0) or after attach (10.1+). */
  readonly hiodRealize: 'after-bind' | 'after-attach';
  /** Prefix VFIO puts before a `set_iommu_device` refusal. */
  readonly setIommuDevicePrefix: string;
  /** `IOMMU_GET_HW_INFO` in the auto-domain path passes a vendor buffer (master) or none (10.1–10.2). */
  readonly autodomainHwInfoData: boolean;
  /** hiod keeps `vendor_caps` (10.1+). */
  readonly hiodVendorCaps: boolean;
  /** hiod keeps `max_pasid_log2` (master). */
  readonly hiodMaxPasidLog2: boolean;
  /** `pci_device_get_viommu_flags` / `get_host_iommu_quirks` exist; NEST_PARENT when wanted (master). */
  readonly viommuFlags: boolean;
  /** DIRTY_TRACKING on a nest parent only when the vIOMMU wants it (`WANT_NESTING_DIRTY_TRACKING`). */
  readonly nestingDirtyGate: boolean;
  /** `WANT_PASID_ATTACH` → `IOMMU_HWPT_ALLOC_PASID` on VFIO's HWPT (PASID attach series). */
  readonly pasidAttachHwpt: boolean;
  /** VFIO's listener sets the IOMMU region's page-size mask before adding a notifier (7.2–9.0). */
  readonly listenerSetsPageSizeMask: boolean;
  /** Legacy type1 parses `VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE` (8.2+); else `[0, UINT64_MAX]`. */
  readonly legacyIovaRanges: boolean;
}

/** Debian 12's QEMU 7.2.22: no HostIOMMUDevice, no iommufd. */
export const PROFILE_7_2: QemuProfile = {
  id: '7.2',
  release: 'QEMU 7.2 (Debian 12 bookworm, 1:7.2+dfsg-7+deb12u18)',
  hostIommuDevice: false,
  iommufdBackend: false,
  hiodRealize: 'after-bind',
  setIommuDevicePrefix: '',
  autodomainHwInfoData: false,
  hiodVendorCaps: false,
  hiodMaxPasidLog2: false,
  viommuFlags: false,
  nestingDirtyGate: false,
  pasidAttachHwpt: false,
  listenerSetsPageSizeMask: true,
  legacyIovaRanges: false,
};

/** QEMU 10.0 (Debian 13 trixie; bookworm-backports). */
export const PROFILE_10_0: QemuProfile = {
  ...PROFILE_7_2,
  id: '10.0',
  release: 'QEMU 10.0 (Debian 13 trixie, bookworm-backports 1:10.0.2+ds-2+deb13u1~bpo12+1)',
  hostIommuDevice: true,
  iommufdBackend: true,
  setIommuDevicePrefix: 'Failed to set vIOMMU: ',
  listenerSetsPageSizeMask: false,
  legacyIovaRanges: true,
};

/** QEMU 10.2 (upstream v10.2.0). */
export const PROFILE_10_2: QemuProfile = {
  ...PROFILE_10_0,
  id: '10.2',
  release: 'QEMU 10.2 (upstream v10.2.0)',
  hiodRealize: 'after-attach',
  hiodVendorCaps: true,
};

/** Upstream after the vIOMMU-flags, SMMUv3 accel, fsts/pasid-bits renames (2026). */
export const PROFILE_UPSTREAM: QemuProfile = {
  ...PROFILE_10_2,
  id: 'upstream',
  release: 'QEMU upstream master (2026: vIOMMU flags, arm-smmuv3 accel, fsts, scalable-mode, pasid-bits)',
  autodomainHwInfoData: true,
  hiodMaxPasidLog2: true,
  viommuFlags: true,
  nestingDirtyGate: true,
  pasidAttachHwpt: true,
};

/** All profiles, oldest first. */
export const PROFILES: readonly QemuProfile[] = [PROFILE_7_2, PROFILE_10_0, PROFILE_10_2, PROFILE_UPSTREAM];

/** The profile used when none is named: the newest. */
export const DEFAULT_PROFILE: QemuProfile = PROFILE_UPSTREAM;

/** Looks a profile up by id; undefined when unknown. */
export function findProfile(id: string): QemuProfile | undefined {
  return PROFILES.find((p) => p.id === id);
}
