/**
 * vIOMMU flags and host IOMMU quirks, QEMU `include/hw/core/iommu.h`. Both are 64-bit
 * words (`BIT_ULL`), hence bigint.
 */

/** `enum viommu_flags`: what a vIOMMU asks of VFIO. Depends on vIOMMU properties only. */
export const ViommuFlag = {
  /** vIOMMU needs a nesting parent HWPT to create nested HWPTs. */
  WANT_NESTING_PARENT: 1n << 0n,
  /** vIOMMU supports PASID; VFIO synthesizes a PASID capability. */
  PASID_SUPPORTED: 1n << 1n,
  /** vIOMMU needs dirty tracking on the nesting parent HWPT for nested use. */
  WANT_NESTING_DIRTY_TRACKING: 1n << 2n,
  /** vIOMMU asks VFIO for a HWPT usable with PASID attachment (VT-d only). */
  WANT_PASID_ATTACH: 1n << 3n,
} as const;

/** `enum host_iommu_quirks`: host facts a vIOMMU derives from vendor hw-info. */
export const HostIommuQuirk = {
  /** Read-only mappings must not go into a nesting parent (Intel ERRATA_772415_SPR17). */
  NESTING_PARENT_BYPASS_RO: 1n << 0n,
} as const;

/** `IOMMU_NO_PASID`: the RID, no PASID. */
export const IOMMU_NO_PASID = 0;

/** Names of the bits set in a flag word, for people. */
export function flagNames(word: bigint, table: Readonly<Record<string, bigint>>): string[] {
  return Object.entries(table)
    .filter(([, bit]) => (word & bit) !== 0n)
    .map(([name]) => name);
}
