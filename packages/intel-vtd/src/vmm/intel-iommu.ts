import {
  QemuError,
  viommuFlagsOp,
  type HostIOMMUDevice,
  type MachineDoneContext,
  type PCIBus,
  type PCIIOMMUOps,
  type ProfileId,
  type PropertyValues,
  type Trace,
  type ViommuDevice,
} from '@viommu/core';
import { VtdAddressSpaces } from './address-space.js';
import { vtdCheckHiod } from './check-hiod.js';
import { vtdGetHostIommuQuirks, vtdViommuFlags } from './flags.js';
import { TYPE_INTEL_IOMMU_DEVICE, vtdConfig, type VtdConfig } from './properties.js';
import { VTD_PROFILES } from './profiles.js';
import { VTD_VERSION, vtdCapInit, type VtdIrState } from './registers.js';

/** The text of `vtd_panic_require_caching_mode` (7.2/10.0 machine-init-done, then `exit(1)`). */
export const VTD_REQUIRE_CACHING_MODE = 'We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.';
/** `vtd_dev_set_iommu_device`'s caching-mode refusal (10.2+); also 7.2/10.0's hotplug text. */
export const VTD_ASSIGNMENT_NEEDS_CM = 'Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.';

/** `VTD_PAGE_SIZE`. */
const VTD_PAGE_SIZE = 4096n;

/**
 * A realized `intel-iommu` (`IntelIOMMUState`): its registers, its address spaces and the
 * host IOMMU devices set through `vtd_dev_set_iommu_device`, keyed by the device's real
 * (bus, devfn).
 */
export class IntelIOMMUDevice implements ViommuDevice {
  readonly typeName = TYPE_INTEL_IOMMU_DEVICE;
  readonly ops: PCIIOMMUOps | null;
  readonly config: VtdConfig;
  readonly #regs: Readonly<Record<string, bigint>>;
  readonly #hiods = new Map<PCIBus, Map<number, HostIOMMUDevice>>();
  readonly #as: VtdAddressSpaces;

  constructor(
    readonly profile: ProfileId,
    readonly id: string | undefined,
    readonly props: PropertyValues,
    ir: VtdIrState,
    readonly trace: Trace,
  ) {
    this.config = vtdConfig(profile, props);
    const { cap, ecap } = vtdCapInit(profile, this.config, ir);
    this.#regs = Object.freeze({ ver: VTD_VERSION, cap, ecap });
    this.#as = new VtdAddressSpaces(this.config);
    this.ops = this.#buildOps();
  }

  registers(): Readonly<Record<string, bigint>> {
    return this.#regs;
  }

  registeredDevices(): number {
    let n = 0;
    for (const m of this.#hiods.values()) n += m.size;
    return n;
  }

  /**
   * `vtd_iommu_ops` of the profile (7.2: only the address-space function). Built as one literal
   * with every key (`undefined` where the profile lacks the op): adding function-valued
   * properties one by one made V8 keep each scenario's device reachable from the shared hidden
   * class until a full GC, so whole scenarios were promoted to the old generation.
   */
  #buildOps(): PCIIOMMUOps {
    const p = VTD_PROFILES[this.profile];
    return {
      getAddressSpace: (bus, devfn) => this.#as.get(bus, devfn),
      setIommuDevice: p.hiod ? (bus, devfn, hiod) => this.setIommuDevice(bus, devfn, hiod) : undefined,
      unsetIommuDevice: p.hiod ? (bus, devfn) => this.unsetIommuDevice(bus, devfn) : undefined,
      getViommuFlags: p.viommuFlags !== 'none' ? viommuFlagsOp((props) => vtdViommuFlags(this.profile, props), this.props) : undefined,
      getHostIommuQuirks: p.hostQuirks ? vtdGetHostIommuQuirks : undefined,
      getIotlbInfo: p.iotlbInfo ? () => ({ addrWidth: this.config.awBits, minPageSize: VTD_PAGE_SIZE }) : undefined,
    };
  }

  /**
   * `vtd_dev_set_iommu_device`: caching mode (10.2+), one hiod per real (bus, devfn), then
   * `vtd_check_hiod`. @throws QemuError with QEMU's message.
   */
  setIommuDevice(bus: PCIBus, devfn: number, hiod: HostIOMMUDevice): void {
    const p = VTD_PROFILES[this.profile];
    this.trace.step('vtd_dev_set_iommu_device', { bus: bus.name, devfn, hiod: hiod.name });
    if (p.cachingModeCheck === 'set-iommu-device' && !this.config.cachingMode) {
      throw new QemuError(VTD_ASSIGNMENT_NEEDS_CM, 'set-iommu-device');
    }
    let byDevfn = this.#hiods.get(bus);
    if (byDevfn?.has(devfn)) throw new QemuError('Host IOMMU device already exist', 'set-iommu-device');
    const pdev = bus.devices.get(devfn);
    if (!pdev) throw new RangeError(`set_iommu_device: no device at ${bus.name} devfn ${devfn}`);
    vtdCheckHiod(this.profile, this.config, hiod, pdev);
    if (!byDevfn) this.#hiods.set(bus, (byDevfn = new Map()));
    byDevfn.set(devfn, hiod);
  }

  /** `vtd_dev_unset_iommu_device`: forgets the device; absent keys are ignored. */
  unsetIommuDevice(bus: PCIBus, devfn: number): void {
    this.trace.step('vtd_dev_unset_iommu_device', { bus: bus.name, devfn });
    this.#hiods.get(bus)?.delete(devfn);
  }

  /** `vtd_machine_done_hook` (7.2/10.0): any `vfio-pci` without caching mode stops QEMU. */
  machineInitDone(ctx: MachineDoneContext): void {
    if (VTD_PROFILES[this.profile].cachingModeCheck !== 'machine-init-done') return;
    if (!this.config.cachingMode && ctx.vfioDevices.length > 0) {
      throw new QemuError(VTD_REQUIRE_CACHING_MODE, 'machine-init-done');
    }
  }
}
