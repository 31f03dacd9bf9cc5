import {
  IOMMU_HW_INFO_DATA_LEN,
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  IOMMU_HWPT_DATA_ARM_SMMUV3,
  IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
  QemuError,
  TYPE_HOST_IOMMU_DEVICE_IOMMUFD,
  type HostIOMMUDevice,
  type HostIOMMUDeviceIOMMUFD,
  type PCIBus,
  type Trace,
} from '@viommu/core';
import type { SmmuIdRegs } from '../regs.js';
import { smmuv3AccelHwCompatible } from './accel-compat.js';

/** `SMMU_STE_VALID`, `SMMU_STE_CFG_BYPASS`: the proxy vSTEs of the abort and bypass HWPTs. */
export const SMMU_STE_VALID = 1n << 0n;
export const SMMU_STE_CFG_BYPASS = 1n << 3n;
/** `GBPA.ABORT`; its reset value is 0 (`SMMU_GBPA_RESET_VAL` = 0x1000): bypass. */
export const SMMU_GBPA_ABORT = 1n << 20n;
export const SMMU_GBPA_RESET_VAL = 0x1000n;

/** The iommufd vIOMMU a vSMMU owns (`IOMMUFDViommu` + proxy HWPTs). */
interface AccelViommu {
  readonly idev: HostIOMMUDeviceIOMMUFD;
  readonly viommuId: number;
  readonly abortHwptId: number;
  readonly bypassHwptId: number;
}

/** `SMMUv3AccelDevice`: a requester id with its host device. */
interface AccelDevice {
  readonly bus: PCIBus;
  readonly devfn: number;
  readonly idev: HostIOMMUDeviceIOMMUFD;
}

/**
 * `SMMUv3AccelState` (master hw/arm/smmuv3-accel.c): at most one iommufd vIOMMU per vSMMU,
 * created from the first device that reaches `set_iommu_device`, on that device's physical
 * SMMU and nesting-parent HWPT; the devices attached through it; their GBPA proxy HWPTs.
 */
export class SMMUv3AccelState {
  #viommu: AccelViommu | null = null;
  readonly #devices: AccelDevice[] = [];
  /** What QEMU reports with `error_report` (not fatal), e.g. a failed GBPA attach at reset. */
  readonly warnings: string[] = [];
  gbpa = SMMU_GBPA_RESET_VAL;

  constructor(
    readonly idRegs: () => SmmuIdRegs,
    readonly trace: Trace,
  ) {}

  get devices(): number {
    return this.#devices.length;
  }

  /** `smmuv3_accel_set_iommu_device`. @throws QemuError (+ hint for vIOMMU allocation failures). */
  setIommuDevice(bus: PCIBus, devfn: number, hiod: HostIOMMUDevice): void {
    if (!hiod.isA(TYPE_HOST_IOMMU_DEVICE_IOMMUFD)) return;
    const idev = hiod as HostIOMMUDeviceIOMMUFD;
    this.trace.step('smmuv3_accel_set_iommu_device', { devfn, devid: idev.devid, hwpt_id: idev.hwptId });
    const existing = this.#devices.find((d) => d.bus === bus && d.devfn === devfn);
    if (existing) {
      if (existing.idev === idev) return;
      throw new QemuError(`Device already has an associated idev 0x${idev.devid.toString(16)}`, 'set-iommu-device');
    }
    const info = idev.iommufd.getDeviceInfo(idev.devid, IOMMU_HW_INFO_DATA_LEN[IOMMU_HW_INFO_TYPE_ARM_SMMUV3]!);
    smmuv3AccelHwCompatible(info, this.idRegs());
    if (!this.#viommu) this.#viommu = this.#allocViommu(idev);
    this.#devices.push({ bus, devfn, idev });
  }

  /**
   * `smmuv3_accel_dev_alloc_viommu`: vIOMMU on the device's nest parent, abort and bypass
   * proxy HWPTs, then the device onto the one GBPA selects. Undone in reverse on failure.
   */
  #allocViommu(idev: HostIOMMUDeviceIOMMUFD): AccelViommu {
    const be = idev.iommufd;
    const undo: (() => void)[] = [];
    try {
      const viommuId = be.allocViommu(idev.devid, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, idev.hwptId);
      undo.push(() => be.freeId(viommuId));
      const proxy = (ste0: bigint) =>
        be.allocHwpt(idev.devid, viommuId, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, { type: IOMMU_HWPT_DATA_ARM_SMMUV3, ste: [ste0, 0n] });
      const abortHwptId = proxy(SMMU_STE_VALID);
      undo.push(() => be.freeId(abortHwptId));
      const bypassHwptId = proxy(SMMU_STE_CFG_BYPASS | SMMU_STE_VALID);
      undo.push(() => be.freeId(bypassHwptId));
      idev.attachHwpt(this.gbpa & SMMU_GBPA_ABORT ? abortHwptId : bypassHwptId);
      return { idev, viommuId, abortHwptId, bypassHwptId };
    } catch (e) {
      for (const u of undo.reverse()) u();
      if (e instanceof QemuError) {
        throw new QemuError(e.message, 'set-iommu-device', e.errno, `Unable to alloc vIOMMU: idev devid 0x${idev.devid.toString(16)}: `);
      }
      throw e;
    }
  }

  /**
   * `smmuv3_accel_unset_iommu_device`: back onto its own nest parent (a failure is only
   * reported), forget it; the last device takes the proxies and the vIOMMU with it.
   */
  unsetIommuDevice(bus: PCIBus, devfn: number): void {
    const i = this.#devices.findIndex((d) => d.bus === bus && d.devfn === devfn);
    if (i < 0) return;
    const { idev } = this.#devices[i]!;
    try {
      idev.attachHwpt(idev.hwptId);
    } catch (e) {
      if (!(e instanceof QemuError)) throw e;
      this.#warn(`${e.message}\nUnable to attach the default HW pagetable: idev devid 0x${idev.devid.toString(16)}`);
    }
    this.#devices.splice(i, 1);
    const v = this.#viommu;
    if (this.#devices.length === 0 && v) {
      v.idev.iommufd.freeId(v.bypassHwptId);
      v.idev.iommufd.freeId(v.abortHwptId);
      v.idev.iommufd.freeId(v.viommuId);
      this.#viommu = null;
    }
  }

  /**
   * `smmuv3_accel_reset` → `smmuv3_accel_attach_gbpa_hwpt`: every listed device onto the proxy
   * GBPA selects. A device behind another physical SMMU than the vIOMMU's is refused by the
   * kernel (EINVAL: the nested domain's vSMMU is on another SMMU); QEMU reports it and boots on.
   */
  reset(): void {
    const v = this.#viommu;
    if (!v) return;
    const hwpt = this.gbpa & SMMU_GBPA_ABORT ? v.abortHwptId : v.bypassHwptId;
    this.trace.step('smmuv3_accel_reset', { hwpt_id: hwpt });
    let allOk = true;
    for (const d of this.#devices) {
      try {
        d.idev.attachHwpt(hwpt);
      } catch (e) {
        if (!(e instanceof QemuError)) throw e;
        this.#warn(`${e.message}\nFailed to attach GBPA hwpt ${hwpt} for idev devid ${d.idev.devid}`);
        allOk = false;
      }
    }
    if (!allOk) this.#warn('Failed to attach all GBPA based HWPTs properly');
  }

  #warn(text: string): void {
    this.warnings.push(text);
    this.trace.step('error_report', { text });
  }
}
