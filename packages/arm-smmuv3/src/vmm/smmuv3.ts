import {
  PCI_BRIDGE_ROLES,
  QemuError,
  viommuFlagsOp,
  type HostIOMMUDevice,
  type MachineContext,
  type PCIBus,
  type PCIIOMMUOps,
  type PropertyValues,
  type Trace,
  type ViommuDevice,
} from '@viommu/core';
import type { SmmuIdRegs } from '../regs.js';
import { SMMUv3AccelState } from './accel.js';
import { smmuv3AccelSysmemAs, SMMUDeviceTable } from './address-space.js';
import { guestBusNumbers, guestSid, LINUX_GUEST_DMA, LINUX_GUEST_RESET } from './guest.js';
import { TYPE_ARM_SMMUV3 } from './properties.js';

/** `VIRT_GIC_ITS` + `GITS_TRANSLATER` page + 0x40: the doorbell `virt` puts in `msi-gpa` with accel (GICv3 + ITS). */
export const VIRT_ITS_MSI_GPA = 0x08090040n;

/** `vfio-pci` and bridges may sit behind an accel vSMMU; nothing else. */
function smmuv3AccelSupportsAddressSpace(bus: PCIBus, devfn: number): void {
  const dev = bus.devices.get(devfn);
  if (!dev || PCI_BRIDGE_ROLES[dev.typeName]) return;
  if (dev.typeName === 'vfio-pci') {
    if (dev.props.iommufd) return;
    throw new QemuError('vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on', 'realize');
  }
  throw new QemuError('Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on', 'realize');
}

/**
 * A realized arm-smmuv3 (`SMMUv3State`): its ID registers and the `PCIIOMMUOps` it installed
 * on its primary bus — emulated translation (`smmu_ops`), or with `accel=on` the accel ops
 * (`smmuv3_accel_ops`) that hand vfio-pci devices to the host SMMU through iommufd.
 */
export class SMMUv3Device implements ViommuDevice {
  readonly typeName = TYPE_ARM_SMMUV3;
  readonly ops: PCIIOMMUOps;
  readonly accel: SMMUv3AccelState | null;

  readonly #machine: MachineContext;

  constructor(
    readonly id: string | undefined,
    readonly props: PropertyValues,
    readonly idRegs: SmmuIdRegs,
    machine: MachineContext,
    trace: Trace,
    flagsOf: (props: PropertyValues) => bigint,
  ) {
    this.#machine = machine;
    const sdevs = new SMMUDeviceTable(machine);
    if (props.accel !== true) {
      this.accel = null;
      this.ops = { getAddressSpace: (bus, devfn) => sdevs.get(bus, devfn).as };
      return;
    }
    const accel = (this.accel = new SMMUv3AccelState(() => this.idRegs, trace));
    this.ops = {
      supportsAddressSpace: smmuv3AccelSupportsAddressSpace,
      getAddressSpace: (bus, devfn) =>
        bus.devices.get(devfn)?.typeName === 'vfio-pci' ? smmuv3AccelSysmemAs(machine) : sdevs.get(bus, devfn).as,
      setIommuDevice: (bus, devfn, hiod: HostIOMMUDevice) => accel.setIommuDevice(bus, devfn, hiod),
      unsetIommuDevice: (bus, devfn) => accel.unsetIommuDevice(bus, devfn),
      getViommuFlags: viommuFlagsOp(flagsOf, props),
      getMsiDirectGpa: () => BigInt(props['msi-gpa']!),
    };
  }

  registers(): Readonly<Record<string, bigint>> {
    return { ...this.idRegs };
  }

  /** System reset after machine init: accel re-attaches its devices to the GBPA proxy (failures are warnings). */
  machineInitDone(): void {
    this.accel?.reset();
  }

  /**
   * A Linux guest's first use of the accel vSMMU: CFGI_ALL at SMMU reset (a vDEVICE per device,
   * virt_id = its guest StreamID), then each device's DMA domain (CFGI_STE with an S1-translate
   * STE: a nested HWPT, attached). Failures are reported, as QEMU does.
   */
  guestBoot(): void {
    const accel = this.accel;
    if (!accel) return;
    const buses = guestBusNumbers(this.#machine.rootBus);
    const sidOf = (bus: PCIBus, devfn: number) => guestSid(buses, bus, devfn);
    accel.installSteRange(0, 0xffffffff, LINUX_GUEST_RESET, sidOf);
    const slots = accel.slots().sort((a, b) => sidOf(a.bus, a.devfn) - sidOf(b.bus, b.devfn));
    for (const { bus, devfn } of slots) accel.cfgiSte(bus, devfn, sidOf(bus, devfn), LINUX_GUEST_DMA);
  }

  registeredDevices(): number {
    return this.accel?.devices ?? 0;
  }

  /** Messages QEMU prints with `error_report` without failing (e.g. a GBPA attach the kernel refused). */
  warnings(): readonly string[] {
    return this.accel?.warnings ?? [];
  }
}
