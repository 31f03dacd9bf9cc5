import {
  field,
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  IOMMU_HW_INFO_TYPE_INTEL_VTD,
  pciDeviceGetIommuBusDevfn,
  QemuError,
  testBit,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  type HostIOMMUDevice,
  type PCIDevice,
  type ProfileId,
} from '@viommu/core';
import type { VtdConfig } from './properties.js';
import { VTD_PROFILES } from './profiles.js';

const fail = (msg: string) => new QemuError(msg, 'set-iommu-device');

/** CAP bit 56 as `vtd_check_hiod_accel` reads it from the host's `iommu_hw_info_vtd.cap_reg`. */
const VTD_CAP_FS1GP_BIT = 56;

/**
 * `vtd_check_hiod_accel` (2026 `hw/i386/intel_iommu_accel.c`): an iommufd host device, a VT-d
 * host, host FS1GP when the guest gets it, `pasid-bits` within the host's PSS + 1 when the
 * device has PASIDs (profiles with `pasid-bits`), and a requester id that is not aliased.
 */
export function vtdCheckHiodAccel(profile: ProfileId, c: VtdConfig, hiod: HostIOMMUDevice, pdev: PCIDevice): void {
  const w = VTD_PROFILES[profile].fstsWord;
  if (!hiod.isA(TYPE_HOST_IOMMU_DEVICE_IOMMUFD)) throw fail(`Need IOMMUFD backend when ${w}=on`);
  const caps = hiod.caps;
  if (caps.type !== IOMMU_HW_INFO_TYPE_INTEL_VTD) throw fail(`Incompatible host platform IOMMU type ${caps.type}`);
  const vtd = caps.vendor_caps;
  const hostCap = vtd?.type === IOMMU_HW_INFO_TYPE_INTEL_VTD ? vtd.cap_reg : 0n;
  if (c.fs1gp && !testBit(hostCap, VTD_CAP_FS1GP_BIT)) throw fail('First stage 1GB large page is unsupported by host IOMMU');
  if (VTD_PROFILES[profile].hiodPasidBitsCheck && caps.max_pasid_log2 !== 0) {
    // uint8_t hpasid = VTD_ECAP_GET_PSS(vtd->ecap_reg) + 1
    const hpasid = (Number(field(vtd?.type === IOMMU_HW_INFO_TYPE_INTEL_VTD ? vtd.ecap_reg : 0n, 35, 5)) + 1) & 0xff;
    if (c.pasidBits > hpasid) throw fail(`PASID bits size ${c.pasidBits} > host IOMMU PASID bits size ${hpasid}`);
  }
  if (pciDeviceGetIommuBusDevfn(pdev).aliased) throw fail(`Host device downstream to a PCI bridge is unsupported when ${w}=on`);
}

/**
 * `vtd_check_hiod`: the host's address width must cover `aw-bits`; with first-stage
 * translation 9.2–10.2 refuse every device and 2026 runs `vtd_check_hiod_accel`.
 */
export function vtdCheckHiod(profile: ProfileId, c: VtdConfig, hiod: HostIOMMUDevice, pdev: PCIDevice): void {
  if (!hiod.getCap) throw fail('.get_cap() not implemented');
  const hostAw = hiod.getCap(HOST_IOMMU_DEVICE_CAP_AW_BITS);
  if (c.awBits > hostAw) throw fail(`aw-bits ${c.awBits} > host aw-bits ${hostAw}`);
  if (!c.fsts) return;
  if (VTD_PROFILES[profile].fstsHiod === 'refuse') throw fail('host device is uncompatible with stage-1 translation');
  vtdCheckHiodAccel(profile, c, hiod, pdev);
}
