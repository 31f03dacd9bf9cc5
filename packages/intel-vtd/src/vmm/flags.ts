import {
  HostIommuQuirk,
  IOMMU_HW_INFO_DATA_LEN,
  IOMMU_HW_INFO_TYPE_INTEL_VTD,
  IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
  ViommuFlag,
  type IommuHwInfoData,
  type ProfileId,
  type PropertyValues,
} from '@viommu/core';
import { vtdConfig } from './properties.js';
import { VTD_PROFILES } from './profiles.js';

/**
 * `vtd_get_viommu_flags` (2026): with first-stage translation a nesting parent with dirty
 * tracking, and with PASID also `PASID_SUPPORTED | WANT_PASID_ATTACH` (2b0d91ed). Properties
 * only; profiles without the callback return 0.
 */
export function vtdViommuFlags(profile: ProfileId, props: PropertyValues): bigint {
  const mode = VTD_PROFILES[profile].viommuFlags;
  const c = vtdConfig(profile, props);
  if (mode === 'none' || !c.fsts) return 0n;
  let flags = ViommuFlag.WANT_NESTING_PARENT | ViommuFlag.WANT_NESTING_DIRTY_TRACKING;
  if (mode === 'nesting+pasid' && c.pasid) flags |= ViommuFlag.PASID_SUPPORTED | ViommuFlag.WANT_PASID_ATTACH;
  return flags;
}

/**
 * `vtd_get_host_iommu_quirks`: `NESTING_PARENT_BYPASS_RO` when VT-d hw-info of full size
 * carries `IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17`.
 */
export function vtdGetHostIommuQuirks(type: number, caps: IommuHwInfoData | null, size: number): bigint {
  if (type !== IOMMU_HW_INFO_TYPE_INTEL_VTD || size < IOMMU_HW_INFO_DATA_LEN[IOMMU_HW_INFO_TYPE_INTEL_VTD]! || caps?.type !== IOMMU_HW_INFO_TYPE_INTEL_VTD) {
    return 0n;
  }
  return caps.flags & IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 ? HostIommuQuirk.NESTING_PARENT_BYPASS_RO : 0n;
}
