import type { ProfileId } from '@viommu/core';

/** What QEMU's legacy (type1) VFIO backend does differently across the profiles. */
export interface LegacyProfile {
  /**
   * How device nodes are opened: `qemu_open_old` with VFIO's own `failed to open %s` (7.2), or
   * `qemu_open(…, errp)` whose message is `Could not open '%s'` (9.1+, "hw/vfio/container: Get
   * rid of qemu_open_old()").
   */
  readonly open: 'qemu_open_old' | 'qemu_open';
  /**
   * Where the `host-iommu-device-legacy-vfio` is realized: none before 9.1; right after the
   * group id in 9.1–10.0 (`vfio_device_hiod_realize`); after the device fd from 10.1
   * (`vfio_device_hiod_create_and_realize`).
   */
  readonly hiod: 'none' | 'before-group' | 'after-device';
  /** `vfio_legacy_setup` probes `VFIO_CHECK_EXTENSION(VFIO_UNMAP_ALL)` (10.2+, "vfio/container: Support unmap all in one ioctl()"). */
  readonly probeUnmapAll: boolean;
}

/** The legacy backend of each profile (the core profile's `legacyIovaRanges` says whether IOVA ranges are parsed). */
export const LEGACY_PROFILES: Readonly<Record<ProfileId, LegacyProfile>> = {
  '7.2': { open: 'qemu_open_old', hiod: 'none', probeUnmapAll: false },
  '10.0': { open: 'qemu_open', hiod: 'before-group', probeUnmapAll: false },
  '10.2': { open: 'qemu_open', hiod: 'after-device', probeUnmapAll: true },
  upstream: { open: 'qemu_open', hiod: 'after-device', probeUnmapAll: true },
};
