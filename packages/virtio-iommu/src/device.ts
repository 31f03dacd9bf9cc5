import {
  IOMMU_NOTIFIER_DEVIOTLB_UNMAP,
  QemuError,
  type AddressSpace,
  type HostIOMMUDevice,
  type IOMMUMemoryRegion,
  type IovaRange,
  type MachineContext,
  type PCIBus,
  type PCIIOMMUOps,
  type PropertyValues,
  type Trace,
  type ViommuDevice,
} from '@viommu/core';
import { granuleOf, type VirtioIommuConfig } from './config.js';
import { checkPageSizeMask, setPageSizeMask72 } from './page-size-mask.js';
import type { VirtioIommuProfile } from './profiles.js';
import { TYPE_VIRTIO_IOMMU_MEMORY_REGION, TYPE_VIRTIO_IOMMU_PCI } from './properties.js';
import { rangeInverseArray, rebuildResvRegions, type ReservedRegion } from './reserved-regions.js';

/** `IOMMUDevice`: the per-requester state `virtio_iommu_find_add_as` creates. */
export interface IOMMUDevice {
  readonly bus: PCIBus;
  readonly devfn: number;
  readonly as: AddressSpace;
  /** `host_resv_ranges`: holes of the host's usable IOVA ranges, null until a hiod sets them. */
  hostResvRanges: IovaRange[] | null;
  /** `resv_regions`: what a PROBE request of this endpoint returns. */
  resvRegions: ReservedRegion[];
}

/** QEMU's function-local `static uint32_t mr_index`: one counter per process, i.e. per machine. */
const mrIndex = new WeakMap<MachineContext, { next: number }>();

/**
 * A realized `virtio-iommu-pci` (`VirtIOIOMMU`): its config, the per-device address spaces and
 * the host IOMMU devices registered through `set_iommu_device`.
 */
export class VirtIOIOMMU implements ViommuDevice {
  readonly typeName = TYPE_VIRTIO_IOMMU_PCI;
  readonly ops: PCIIOMMUOps;
  readonly #sdevs = new Map<PCIBus, Map<number, IOMMUDevice>>();
  /** `host_iommu_devices`, keyed by the device's own (bus, devfn). */
  readonly #hiods = new Map<PCIBus, Map<number, HostIOMMUDevice>>();
  #granuleFrozen = false;
  #machineReady = false;

  constructor(
    readonly id: string | undefined,
    readonly props: PropertyValues,
    readonly config: VirtioIommuConfig,
    /** `prop_resv_regions`: the machine's (or command line's) regions, put on every endpoint. */
    readonly propResvRegions: readonly ReservedRegion[],
    readonly profile: VirtioIommuProfile,
    readonly machine: MachineContext,
    readonly trace: Trace,
  ) {
    // One literal with every key: adding function properties one by one keeps scenarios
    // reachable from V8's shared hidden class until a full GC (see intel-vtd's #buildOps).
    const hiod = profile.negotiation === 'host-iommu-device';
    this.ops = {
      getAddressSpace: (bus, devfn) => this.findAddAs(bus, devfn).as,
      setIommuDevice: hiod ? (bus, devfn, h) => this.setIommuDevice(bus, devfn, h) : undefined,
      unsetIommuDevice: hiod ? (bus, devfn) => this.unsetIommuDevice(bus, devfn) : undefined,
    };
  }

  registers(): Readonly<Record<string, bigint>> {
    return { ...this.config };
  }

  registeredDevices(): number {
    let n = 0;
    for (const m of this.#hiods.values()) n += m.size;
    return n;
  }

  /** The endpoint state of (bus, devfn), if its address space was asked for. */
  endpoint(bus: PCIBus, devfn: number): IOMMUDevice | undefined {
    return this.#sdevs.get(bus)?.get(devfn);
  }

  /**
   * `virtio_iommu_freeze_granule` (machine-init-done notifier, 8.1+): from now on the granule
   * never changes. 7.2 has no notifier; its rule only looks at whether the machine is ready.
   */
  machineInitDone(): void {
    this.#machineReady = true;
    if (!this.profile.freezeGranule) return;
    this.#granuleFrozen = true;
    this.trace.step('virtio_iommu_freeze_granule', { granule: granuleOf(this.config.page_size_mask) });
  }

  /**
   * `virtio_iommu_find_add_as`: the endpoint's address space, created on first use. Its IOMMU
   * region is what VFIO's listener sees only while the endpoint is translated: with `bypass`
   * (`boot-bypass=on`, no domain attached yet) the system-memory alias is enabled instead and
   * VFIO just maps guest RAM (`virtio_iommu_switch_address_space`).
   */
  findAddAs(bus: PCIBus, devfn: number): IOMMUDevice {
    let byDevfn = this.#sdevs.get(bus);
    if (!byDevfn) this.#sdevs.set(bus, (byDevfn = new Map()));
    let sdev = byDevfn.get(devfn);
    if (sdev) return sdev;
    let counter = mrIndex.get(this.machine);
    if (!counter) mrIndex.set(this.machine, (counter = { next: 0 }));
    const name = `${TYPE_VIRTIO_IOMMU_MEMORY_REGION}-${counter.next++}-${devfn}`;
    const region = this.iommuRegion(name);
    const translated = this.config.bypass === 0n;
    sdev = { bus, devfn, as: { name, iommu: translated ? region : null }, hostResvRanges: null, resvRegions: [...this.propResvRegions] };
    byDevfn.set(devfn, sdev);
    this.trace.step('virtio_iommu_init_iommu_mr', { name, bypass: !translated });
    return sdev;
  }

  /** The IOMMU region class: `notify_flag_changed`, and 7.2's `iommu_set_page_size_mask`. */
  private iommuRegion(name: string): IOMMUMemoryRegion {
    const region: IOMMUMemoryRegion = {
      name,
      notifyFlagChanged: (flags) =>
        flags & IOMMU_NOTIFIER_DEVIOTLB_UNMAP ? new QemuError('Virtio-iommu does not support dev-iotlb yet', 'vfio-attach') : null,
    };
    if (this.profile.negotiation !== 'memory-region') return region;
    return {
      ...region,
      setPageSizeMask: (mask) => {
        const cur = this.config.page_size_mask;
        this.trace.step('virtio_iommu_set_page_size_mask', { mr: name, old_mask: cur, new_mask: mask });
        const d = setPageSizeMask72(cur, mask, this.#machineReady);
        if ('error' in d) return d.error;
        if (d.warning) this.trace.step('warn_report', { message: d.warning });
        this.config.page_size_mask = d.mask;
        return null;
      },
    };
  }

  /**
   * `virtio_iommu_set_iommu_device` (9.1+): one hiod per device; the host's usable IOVA ranges
   * become reserved regions of the aliased endpoint; the host page sizes must fit the granule.
   * @throws QemuError with QEMU's message (the caller adds `vfio <name>: Failed to set vIOMMU: `).
   */
  setIommuDevice(bus: PCIBus, devfn: number, hiod: HostIOMMUDevice): void {
    const fail = (msg: string) => new QemuError(msg, 'set-iommu-device');
    if (this.#hiods.get(bus)?.has(devfn)) throw fail('Host IOMMU device already exists');
    const ranges = hiod.getIovaRanges();
    this.trace.step('virtio_iommu_set_iommu_device', { hiod: hiod.name, iova_ranges: ranges.map((r) => [r.start, r.last]) });
    if (ranges.length === 0) return; // some old kernels may not support that capability
    this.setHostIovaRanges(hiod.aliasedBus, hiod.aliasedDevfn, ranges);
    const newMask = hiod.getPageSizeMask();
    const d = checkPageSizeMask(this.config.page_size_mask, newMask, this.#granuleFrozen);
    // QEMU keeps the alias's host ranges on this failure: a later device behind the same
    // alias then gets "does not support aliased BDF".
    if ('error' in d) throw d.error.prepend(`${hiod.name}: `);
    this.trace.step('virtio_iommu_update_page_size_mask', { name: hiod.name, old_mask: this.config.page_size_mask, new_mask: newMask });
    this.config.page_size_mask = d.mask;
    let byDevfn = this.#hiods.get(bus);
    if (!byDevfn) this.#hiods.set(bus, (byDevfn = new Map()));
    byDevfn.set(devfn, hiod);
  }

  /** `virtio_iommu_unset_iommu_device`: drops the host reserved ranges and the hiod. */
  unsetIommuDevice(bus: PCIBus, devfn: number): void {
    const hiod = this.#hiods.get(bus)?.get(devfn);
    if (!hiod) return;
    this.unsetHostIovaRanges(hiod.aliasedBus, hiod.aliasedDevfn);
    this.#hiods.get(bus)!.delete(devfn);
  }

  /** `virtio_iommu_set_host_iova_ranges`. */
  private setHostIovaRanges(bus: PCIBus | null, devfn: number, ranges: readonly IovaRange[]): void {
    const fn = 'virtio_iommu_set_host_iova_ranges';
    const fail = (msg: string) => new QemuError(msg, 'set-iommu-device');
    const byDevfn = bus ? this.#sdevs.get(bus) : undefined;
    if (!byDevfn) throw fail(`${fn}: no IOMMUPciBus found!`);
    const sdev = byDevfn.get(devfn);
    if (!sdev) throw fail(`${fn}: no IOMMUDevice found!`);
    if (sdev.hostResvRanges) throw fail(`${fn} virtio-iommu does not support aliased BDF`);
    const holes = rangeInverseArray(ranges);
    sdev.hostResvRanges = holes.length > 0 ? holes : null;
    sdev.resvRegions = rebuildResvRegions(holes, this.propResvRegions);
    this.trace.step('virtio_iommu_host_resv_regions', {
      name: sdev.as.name,
      regions: sdev.resvRegions.map((r) => [r.start, r.end, r.type]),
    });
  }

  /** `virtio_iommu_unset_host_iova_ranges`. */
  private unsetHostIovaRanges(bus: PCIBus | null, devfn: number): void {
    const sdev = bus ? this.#sdevs.get(bus)?.get(devfn) : undefined;
    if (!sdev) return;
    sdev.hostResvRanges = null;
    sdev.resvRegions = [...this.propResvRegions];
  }
}
