import {
  flagNames,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_FAULT_ID_VALID,
  type Trace,
} from '@viommu/core';

/** `enum iommufd_hwpt_alloc_flags` by name (include/uapi/linux/iommufd.h). */
const HWPT_ALLOC_FLAGS: Readonly<Record<string, bigint>> = {
  NEST_PARENT: BigInt(IOMMU_HWPT_ALLOC_NEST_PARENT),
  DIRTY_TRACKING: BigInt(IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
  FAULT_ID_VALID: BigInt(IOMMU_HWPT_FAULT_ID_VALID),
  PASID: BigInt(IOMMU_HWPT_ALLOC_PASID),
};

/** One `IOMMU_HWPT_ALLOC` QEMU made, as it asked for it. */
export interface HwptAlloc {
  readonly hwptId: number | null;
  readonly ptId: number;
  readonly devId: number;
  readonly flags: number;
  /** The flags by their uAPI names. */
  readonly flagNames: readonly string[];
  readonly dataType: number;
  /** The errno when the kernel refused it. */
  readonly errno?: string;
}

/** Every `IOMMU_HWPT_ALLOC` of the trace, in order, with its flags decoded. */
export function hwptAllocs(trace: Trace): HwptAlloc[] {
  return trace.entries
    .filter((e) => e.kind === 'call' && e.name === 'IOMMU_HWPT_ALLOC')
    .map((e) => {
      const a = e.args ?? {};
      const flags = Number(a.flags ?? 0);
      const out = e.result as { out_hwpt_id?: number } | undefined;
      return {
        hwptId: out?.out_hwpt_id ?? null,
        ptId: Number(a.pt_id),
        devId: Number(a.dev_id),
        flags,
        flagNames: flagNames(BigInt(flags), HWPT_ALLOC_FLAGS),
        dataType: Number(a.data_type ?? 0),
        ...(e.errno ? { errno: e.errno } : {}),
      };
    });
}
