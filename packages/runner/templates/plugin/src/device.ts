import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  HOST_IOMMU_DEVICE_CAP_AW_BITS_MAX,
  QemuError,
  type AddressSpace,
  type HostIOMMUDevice,
  type PCIBus,
  type PCIIOMMUOps,
  type PropertyValues,
  type QemuProfile,
  type Trace,
  type ViommuDevice,
} from '@viommu/core';
import { TYPE_NAME } from './properties.js';

/**
 * A realized device: one DMA address space for every device behind it, and on profiles with
 * `HostIOMMUDevice` (9.1+) a `set_iommu_device` that refuses a host narrower than `aw-bits`.
 */
export class Device implements ViommuDevice {
  readonly typeName = TYPE_NAME;
  readonly ops: PCIIOMMUOps;
  readonly #aw: number;
  readonly #trace: Trace;
  readonly #registered = new Set<string>();

  constructor(readonly id: string | undefined, readonly props: PropertyValues, profile: QemuProfile, trace: Trace) {
    this.#aw = Number(props['aw-bits']);
    this.#trace = trace;
    const as: AddressSpace = { name: TYPE_NAME, iommu: { name: `${TYPE_NAME}-iommu`, notifyFlagChanged: () => null } };
    this.ops = profile.hostIommuDevice
      ? {
          getAddressSpace: () => as,
          setIommuDevice: (bus, devfn, hiod) => this.#setIommuDevice(bus, devfn, hiod),
          unsetIommuDevice: (bus, devfn) => void this.#registered.delete(`${bus.name}:${devfn}`),
        }
      : { getAddressSpace: () => as };
  }

  registers(): Readonly<Record<string, bigint>> {
    return { aw: BigInt(this.#aw) };
  }

  registeredDevices(): number {
    return this.#registered.size;
  }

  /** Refuses a host whose IOMMU cannot map the guest's address width. */
  #setIommuDevice(bus: PCIBus, devfn: number, hiod: HostIOMMUDevice): void {
    const hostAw = hiod.getCap ? hiod.getCap(HOST_IOMMU_DEVICE_CAP_AW_BITS) : HOST_IOMMU_DEVICE_CAP_AW_BITS_MAX;
    this.#trace.step(`${TYPE_NAME}_set_iommu_device`, { bus: bus.name, devfn, aw_bits: this.#aw, host_aw_bits: hostAw });
    if (this.#aw > hostAw) throw new QemuError(`aw-bits ${this.#aw} > host aw-bits ${hostAw}`, 'set-iommu-device');
    this.#registered.add(`${bus.name}:${devfn}`);
  }
}
