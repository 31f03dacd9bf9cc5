import { IOMMU_HW_INFO_TYPE_ARM_SMMUV3, QemuError, type IommuHwInfoArmSmmuv3, type IommuHwInfoOut } from '@viommu/core';
import { get, IDR0, IDR1, IDR3, IDR5, OAS_BITS, type RegField, type SmmuIdRegs } from '../regs.js';

type Rel = 'ne' | 'gt' | 'lt';

/** One row of `smmuv3_accel_check_hw_compatible`: host field against the vSMMU's, and QEMU's message. */
interface CompatCheck {
  readonly reg: 'idr0' | 'idr1' | 'idr3' | 'idr5';
  readonly field: RegField;
  /** Fails when `host <rel> qemu`. */
  readonly fails: Rel;
  readonly message: (host: number, qemu: number) => string;
}

/**
 * The checks in QEMU's order (master hw/arm/smmuv3-accel.c). Not compared: AIDR, IIDR, S1P/S2P,
 * ASID16, VMID16, COHACC, STALL_MODEL, TERM_MODEL, BBML, CD2L, VAX.
 */
export const SMMUV3_ACCEL_CHECKS: readonly CompatCheck[] = [
  {
    reg: 'idr0', field: IDR0.STLEVEL, fails: 'ne',
    message: (h, q) => `Host SMMUv3 Stream Table format mismatch (host STLEVEL=${h}, QEMU STLEVEL=${q})`,
  },
  { reg: 'idr0', field: IDR0.TTENDIAN, fails: 'gt', message: () => "Host SMMUv3 doesn't support Little-endian translation table" },
  { reg: 'idr0', field: IDR0.TTF, fails: 'lt', message: () => "Host SMMUv3 doesn't support AArch64 translation table format" },
  { reg: 'idr1', field: IDR1.SIDSIZE, fails: 'lt', message: (h, q) => `Host SMMUv3 SIDSIZE not compatible (host=${h}, QEMU=${q})` },
  { reg: 'idr1', field: IDR1.SSIDSIZE, fails: 'lt', message: (h, q) => `Host SMMUv3 SSIDSIZE not compatible (host=${h}, QEMU=${q})` },
  { reg: 'idr3', field: IDR3.RIL, fails: 'lt', message: () => "Host SMMUv3 doesn't support Range Invalidation" },
  {
    reg: 'idr5', field: IDR5.OAS, fails: 'lt',
    message: (h, q) => `Host SMMUv3 supports only ${OAS_BITS[h]}-bit IPA, but the vSMMU OAS implies ${OAS_BITS[q]}-bit IPA`,
  },
  { reg: 'idr5', field: IDR5.GRAN4K, fails: 'ne', message: () => "Host SMMUv3 doesn't support 4K translation granule" },
  { reg: 'idr5', field: IDR5.GRAN16K, fails: 'ne', message: () => "Host SMMUv3 doesn't support 16K translation granule" },
  { reg: 'idr5', field: IDR5.GRAN64K, fails: 'ne', message: () => "Host SMMUv3 doesn't support 64K translation granule" },
];

/**
 * `smmuv3_accel_hw_compatible`: the host SMMU behind the device (from `IOMMU_GET_HW_INFO`)
 * against this vSMMU's registers; the first failing row wins.
 * @throws QemuError with QEMU's message (stage `set-iommu-device`).
 */
export function smmuv3AccelHwCompatible(info: IommuHwInfoOut, vsmmu: SmmuIdRegs): void {
  if (info.out_data_type !== IOMMU_HW_INFO_TYPE_ARM_SMMUV3 || !info.data) {
    throw new QemuError(`Wrong data type (${info.out_data_type}) for Host SMMUv3 device info`, 'set-iommu-device');
  }
  const host = info.data as IommuHwInfoArmSmmuv3;
  const hostRegs = { idr0: host.idr[0], idr1: host.idr[1], idr3: host.idr[3], idr5: host.idr[5] };
  for (const c of SMMUV3_ACCEL_CHECKS) {
    const h = get(hostRegs[c.reg], c.field);
    const q = get(vsmmu[c.reg], c.field);
    const bad = c.fails === 'ne' ? h !== q : c.fails === 'gt' ? h > q : h < q;
    if (bad) throw new QemuError(c.message(h, q), 'set-iommu-device');
  }
}
