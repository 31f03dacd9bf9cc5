import { memoizePure } from './memo.js';

/**
 * What a Linux kernel release offers to a VMM, as data. An older kernel answers as it did
 * (`ENOTTY` for an ioctl it does not know, `EOPNOTSUPP` for a flag it does not know).
 * Versions are the mainline release that merged each feature (linux-iommu-uapi.md §1).
 */
export interface KernelFeatures {
  /** `/dev/iommu` and the IOAS ioctls (6.2). */
  readonly iommufd: boolean;
  /** `IOMMU_HWPT_ALLOC` and `IOMMU_GET_HW_INFO` (6.6). */
  readonly hwptAlloc: boolean;
  /** VFIO device cdev + `VFIO_DEVICE_BIND_IOMMUFD` (6.6). */
  readonly vfioCdev: boolean;
  /** `IOMMU_HWPT_ALLOC_DIRTY_TRACKING`, `out_capabilities` (6.7). */
  readonly dirtyTracking: boolean;
  /** Nested HWPTs with `IOMMU_HWPT_DATA_VTD_S1` (6.8). */
  readonly nestingVtd: boolean;
  /** `IOMMU_HWPT_FAULT_ID_VALID` (6.11). */
  readonly faultId: boolean;
  /** `IOMMU_VIOMMU_ALLOC`, `IOMMU_VDEVICE_ALLOC` (6.13). */
  readonly viommu: boolean;
  /** `IOMMU_HWPT_ALLOC_PASID` (6.13). */
  readonly hwptPasid: boolean;
  /** SMMUv3 `hw_info` and `IOMMU_HWPT_DATA_ARM_SMMUV3` nesting (6.14). */
  readonly nestingArmSmmuv3: boolean;
  /** `out_max_pasid_log2`, `IOMMU_HW_CAP_PCI_PASID_*` (6.16). */
  readonly hwInfoPasid: boolean;
  /** `IOMMU_HW_INFO_FLAG_INPUT_TYPE` (6.17). */
  readonly hwInfoInputType: boolean;
}

/** Parses the `major.minor` of a release string (`6.12.38+deb13-amd64` → [6, 12]). */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new RangeError(`kernel release '${release}' does not start with major.minor`);
  return [Number(m[1]), Number(m[2])];
}

const since = (v: [number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/** The features of a kernel release (frozen; computed once per release). */
export const kernelFeatures: (release: string) => KernelFeatures = memoizePure((release: string): KernelFeatures => {
  const v = kernelVersion(release);
  return {
    iommufd: since(v, 6, 2),
    hwptAlloc: since(v, 6, 6),
    vfioCdev: since(v, 6, 6),
    dirtyTracking: since(v, 6, 7),
    nestingVtd: since(v, 6, 8),
    faultId: since(v, 6, 11),
    viommu: since(v, 6, 13),
    hwptPasid: since(v, 6, 13),
    nestingArmSmmuv3: since(v, 6, 14),
    hwInfoPasid: since(v, 6, 16),
    hwInfoInputType: since(v, 6, 17),
  };
});
