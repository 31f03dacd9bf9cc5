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

/** `STE0_MASK`, `STE1_MASK` (hw/arm/smmuv3-internal.h): the guest STE fields a nested HWPT carries. */
export const STE0_MASK = (0x1fn << 59n) | (((1n << 50n) - 1n) << 6n) | (0x3n << 4n) | (0x7n << 1n) | 1n;
export const STE1_MASK = (0x3n << 28n) | (1n << 27n) | (0x3n << 6n) | (0x3n << 4n) | (0x3n << 2n) | 0x3n;

/**
 * The guest's SMMU as `smmuv3_accel_install_ste` reads it: CR0.SMMUEN and `smmu_find_ste`.
 */
export interface GuestStreamTable {
  /** CR0.SMMUEN (`smmu_enabled`); when clear, GBPA decides. */
  readonly enabled: boolean;
  /** The first two 64-bit words of the guest STE of `sid`, or null when `smmu_find_ste` finds none. */
  ste(sid: number): readonly [bigint, bigint] | null;
}

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

/** `SMMUv3AccelDevice`: a requester id with its host device, its vDEVICE and its stage-1 HWPT. */
interface AccelDevice {
  readonly bus: PCIBus;
  readonly devfn: number;
  readonly idev: HostIOMMUDeviceIOMMUFD;
  /** `IOMMUFDVdev`: allocated at the first STE install, with the guest StreamID as virt_id. */
  vdev?: { readonly vdeviceId: number; readonly virtId: number };
  /** `s1_hwpt`: the nested HWPT of the installed S1-translate STE. */
  s1HwptId?: number;
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

  /** The requester ids of the listed devices, in list order (newest first). */
  slots(): { bus: PCIBus; devfn: number }[] {
    return this.#devices.map(({ bus, devfn }) => ({ bus, devfn }));
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
    this.#devices.unshift({ bus, devfn, idev }); // QLIST_INSERT_HEAD
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
   * reported), free its stage-1 HWPT and vDEVICE, forget it; the last device takes the proxies
   * and the vIOMMU with it.
   */
  unsetIommuDevice(bus: PCIBus, devfn: number): void {
    const i = this.#devices.findIndex((d) => d.bus === bus && d.devfn === devfn);
    if (i < 0) return;
    const dev = this.#devices[i]!;
    const { idev } = dev;
    try {
      idev.attachHwpt(idev.hwptId);
    } catch (e) {
      if (!(e instanceof QemuError)) throw e;
      this.#warn(`${e.message}\nUnable to attach the default HW pagetable: idev devid 0x${idev.devid.toString(16)}`);
    }
    if (dev.s1HwptId !== undefined) idev.iommufd.freeId(dev.s1HwptId);
    if (dev.vdev) idev.iommufd.freeId(dev.vdev.vdeviceId);
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

  /**
   * `smmuv3_accel_install_ste` (guest `CFGI_STE`): the device's vDEVICE first, once, with the
   * guest StreamID as virt_id (`IOMMU_VDEVICE_ALLOC`); then, if the guest has an STE for it, the
   * HWPT it selects — GBPA's proxy while the SMMU is disabled, the abort proxy for an invalid or
   * abort STE, the bypass proxy for a bypass STE, a new nested HWPT (the STE under `STE0_MASK`/
   * `STE1_MASK`) for an S1-translate STE — attached, replacing the previous stage-1 HWPT. The
   * vDEVICE stays when the attach fails.
   * @throws QemuError (`IOMMU_VDEVICE_ALLOC failed`, `Failed to allocate hwpt`, the attach's,
   *   `Invalid STE config for sid 0x…`); the caller reports it.
   */
  installSte(bus: PCIBus, devfn: number, sid: number, table: GuestStreamTable): void {
    const v = this.#viommu;
    const dev = this.#devices.find((d) => d.bus === bus && d.devfn === devfn);
    if (!v || !dev) return;
    const be = dev.idev.iommufd;
    if (!dev.vdev) dev.vdev = { vdeviceId: be.allocVdev(dev.idev.devid, v.viommuId, BigInt(sid)), virtId: sid };
    const ste = table.ste(sid);
    if (!ste) return;
    let hwptId = 0;
    let s1: number | undefined;
    if (!table.enabled) {
      hwptId = this.gbpa & SMMU_GBPA_ABORT ? v.abortHwptId : v.bypassHwptId;
    } else {
      const config = Number((ste[0] >> 1n) & 0x7n);
      if ((ste[0] & SMMU_STE_VALID) === 0n || (config & 0x4) === 0) hwptId = v.abortHwptId;
      else if (config === 0x4) hwptId = v.bypassHwptId;
      else if (config === 0x5) {
        s1 = be.allocHwpt(dev.idev.devid, v.viommuId, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, {
          type: IOMMU_HWPT_DATA_ARM_SMMUV3,
          ste: [ste[0] & STE0_MASK, ste[1] & STE1_MASK],
        });
        hwptId = s1;
      }
    }
    if (!hwptId) throw new QemuError(`Invalid STE config for sid 0x${sid.toString(16)}`, 'runtime');
    try {
      dev.idev.attachHwpt(hwptId);
    } catch (e) {
      if (s1 !== undefined) be.freeId(s1);
      throw e;
    }
    if (dev.s1HwptId !== undefined) be.freeId(dev.s1HwptId);
    dev.s1HwptId = s1;
    const type = hwptId === v.abortHwptId ? 'abort' : hwptId === v.bypassHwptId ? 'bypass' : 'translate';
    this.trace.step('smmuv3_accel_install_ste', { sid, type, hwpt_id: hwptId });
  }

  /**
   * `smmuv3_cmdq_consume`'s CFGI_STE: `installSte`; a failure makes the guest see CERROR_ILL and
   * `smmu_writel` reports it; the VM runs on.
   */
  cfgiSte(bus: PCIBus, devfn: number, sid: number, table: GuestStreamTable): void {
    this.trace.step('smmuv3_cmdq_cfgi_ste', { sid });
    try {
      this.installSte(bus, devfn, sid, table);
    } catch (e) {
      if (!(e instanceof QemuError)) throw e;
      this.#warn(e.message);
    }
  }

  /**
   * `smmuv3_accel_install_ste_range` (guest `CFGI_STE_RANGE`, `CFGI_ALL`): every listed device
   * whose StreamID is in range, newest first; each failure is reported (hint `Device 0x…: Failed
   * to install STE`), then `Failed to install all STEs properly` — `smmu_writel` reports it and
   * the guest sees CERROR_ILL; the VM runs on.
   * @param sidOf the guest StreamID of a device (`smmu_get_sid`: the guest's bus number, devfn).
   */
  installSteRange(start: number, end: number, table: GuestStreamTable, sidOf: (bus: PCIBus, devfn: number) => number): void {
    if (!this.#viommu) return;
    let allOk = true;
    for (const d of [...this.#devices]) {
      const sid = sidOf(d.bus, d.devfn);
      if (sid < start || sid > end) continue;
      this.trace.step('smmuv3_accel_install_ste_range', { sid });
      try {
        this.installSte(d.bus, d.devfn, sid, table);
      } catch (e) {
        if (!(e instanceof QemuError)) throw e;
        this.#warn(`${e.message}\nDevice 0x${sid.toString(16)}: Failed to install STE`);
        allOk = false;
      }
    }
    if (!allOk) this.#warn('Failed to install all STEs properly');
  }

  #warn(text: string): void {
    this.warnings.push(text);
    this.trace.step('error_report', { text });
  }
}
