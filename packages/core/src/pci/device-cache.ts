import type { PCIBus } from './topology.js';

/**
 * Per-device state of a vIOMMU, created on first use: the lookup-or-insert keyed by
 * (bus, devfn) that `vtd_find_add_as` (hw/i386/intel_iommu.c) and `smmu_find_add_as`
 * (hw/arm/smmu-common.c) do on their hash tables. A subclass says how one entry is made.
 */
export abstract class PCIDeviceCache<T> {
  readonly #byBus = new Map<PCIBus, Map<number, T>>();

  /** Makes the entry of a device seen for the first time. */
  protected abstract create(bus: PCIBus, devfn: number): T;

  /** The entry of (`bus`, `devfn`), made by `create` on the first call. */
  get(bus: PCIBus, devfn: number): T {
    let byDevfn = this.#byBus.get(bus);
    if (!byDevfn) this.#byBus.set(bus, (byDevfn = new Map()));
    let entry = byDevfn.get(devfn);
    if (entry === undefined) byDevfn.set(devfn, (entry = this.create(bus, devfn)));
    return entry;
  }
}
