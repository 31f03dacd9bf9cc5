import {
  pciSetupIommu,
  QemuError,
  type MachineContext,
  type PCIBus,
  type PCIDevice,
  type PluginManifest,
  type ProfileId,
  type PropertyDecl,
  type PropertyValues,
  type ViommuPlugin,
  type ViommuRealizeContext,
} from '@viommu/core';
import { VIRTIO_IOMMU_CONFIG_FIELDS, virtioIommuRealizeConfig } from './config.js';
import { VirtIOIOMMU } from './device.js';
import { machineHasHotplugHandler, TARGET_PAGE_BITS, virtioIommuCompat, virtioIommuPrePlug } from './machine.js';
import { parseVirtioIommuOptions, resolvePrimaryBus } from './options.js';
import { VIRTIO_IOMMU_PROFILES } from './profiles.js';
import {
  LEN_RESERVED_REGIONS,
  TYPE_VIRTIO_IOMMU,
  TYPE_VIRTIO_IOMMU_PCI,
  virtioIommuDeviceProperties,
  virtioIommuPciProperties,
} from './properties.js';
import { VIRTIO_IOMMU_RESV_MEM_T_MSI, VIRTIO_IOMMU_RESV_MEM_T_RESERVED, type ReservedRegion } from './reserved-regions.js';

const PROFILES: readonly ProfileId[] = ['7.2', '10.0', '10.2', 'upstream'];
const DEFAULT_HOST_PAGE_SIZE = 0x1000n;

/**
 * `virtio-iommu-pci` exists in both targets: x86_64 (q35, pc) is the primary one, aarch64
 * (virt) the other (`PluginManifest.otherTargets`).
 */
export const VIRTIO_IOMMU_PCI_MANIFEST: PluginManifest = {
  typeName: TYPE_VIRTIO_IOMMU_PCI,
  vendor: 'virtio',
  arch: 'x86_64',
  qemuBinary: 'qemu-system-x86_64',
  defaultMachine: 'q35',
  otherTargets: [{ arch: 'aarch64', qemuBinary: 'qemu-system-aarch64', defaultMachine: 'virt' }],
  profiles: PROFILES,
  registers: VIRTIO_IOMMU_CONFIG_FIELDS,
};

/** The bare virtio device: users can plug it on a virtio-mmio bus (virt, microvm) and link it to a PCI bus. */
export const VIRTIO_IOMMU_DEVICE_MANIFEST: PluginManifest = {
  typeName: TYPE_VIRTIO_IOMMU,
  vendor: 'virtio',
  arch: 'aarch64',
  qemuBinary: 'qemu-system-aarch64',
  defaultMachine: 'virt',
  otherTargets: [{ arch: 'x86_64', qemuBinary: 'qemu-system-x86_64', defaultMachine: 'microvm' }],
  profiles: PROFILES,
  registers: VIRTIO_IOMMU_CONFIG_FIELDS,
};

/**
 * virtio-iommu has no `get_viommu_flags` in any QEMU release or in master (its `PCIIOMMUOps`
 * is `get_address_space`, `set_iommu_device`, `unset_iommu_device`): the flags are 0.
 */
export function virtioIommuViommuFlags(_profile: ProfileId, _props: PropertyValues): bigint {
  return 0n;
}

/** Machines with virtio-mmio transports, whose buses are `virtio-mmio-bus.<n>`. */
const VIRTIO_MMIO_FAMILIES = ['virt', 'microvm'];

/**
 * QEMU's virtio-iommu as a vIOMMU plugin. One class serves the two user-visible types:
 * `virtio-iommu-pci` (the PCI proxy, what libvirt and users plug) and `virtio-iommu-device`
 * (the bare virtio device on a virtio-mmio bus, with `primary-bus` naming the PCI bus).
 */
export class VirtioIommuPlugin implements ViommuPlugin {
  constructor(readonly manifest: PluginManifest = VIRTIO_IOMMU_PCI_MANIFEST) {}

  get #pci(): boolean {
    return this.manifest.typeName === TYPE_VIRTIO_IOMMU_PCI;
  }

  properties(profile: ProfileId): readonly PropertyDecl[] {
    return this.#pci ? virtioIommuPciProperties(profile) : virtioIommuDeviceProperties(profile);
  }

  viommuFlags(profile: ProfileId, props: PropertyValues): bigint {
    return virtioIommuViommuFlags(profile, props);
  }

  /**
   * `qdev_device_add` of the device, QEMU's order: the bus, `-global`s and options, the
   * machine's pre-plug hook, PCI registration (slot), `virtio_iommu_pci_realize` (hotplug
   * handler, reserved-region types, root bus), then `virtio_iommu_device_realize` (`aw-bits`,
   * `granule`, the primary bus) which installs the ops (`pci_setup_iommu`). A failure after
   * the slot was taken frees it again.
   */
  realize(ctx: ViommuRealizeContext): VirtIOIOMMU {
    const { machine, trace } = ctx;
    const typeName = this.manifest.typeName;
    const prof = VIRTIO_IOMMU_PROFILES[ctx.profile.id];
    const decls = this.properties(ctx.profile.id);
    const compat = virtioIommuCompat(ctx.profile.id, typeName, machine);
    const busOption = ctx.options.findLast((p) => p.key === 'bus')?.value;
    // the PCI proxy's own bus; the bare device sits on a virtio bus
    const pbus = this.#pci ? (busOption !== undefined ? machine.pci.bus(busOption) : machine.rootBus) : null;
    if (!pbus) checkVirtioBus(machine, busOption);
    const { props, devfn, reservedRegions } = parseVirtioIommuOptions(typeName, decls, machine, compat, ctx.options);
    let bus = resolvePrimaryBus(machine, String(props['primary-bus']));
    let propRegions: readonly ReservedRegion[] = reservedRegions;
    let pdev: PCIDevice | null = null;
    try {
      if (pbus) {
        const hotplug = machineHasHotplugHandler(machine);
        if (hotplug) {
          const userLen = prof.reservedRegionsProp === 'len-array' ? Number(props[LEN_RESERVED_REGIONS]) : 0;
          propRegions = virtioIommuPrePlug(machine, userLen).machineRegions ?? propRegions;
        }
        pdev = machine.pci.plug({ typeName, id: ctx.id, bus: pbus, devfn });
        virtioIommuPciRealize(hotplug, propRegions, pbus);
        // object_property_set_link(dev, "primary-bus", pbus): the proxy's bus wins
        bus = pbus;
        props['primary-bus'] = pbus.name;
      }
      const config = virtioIommuRealizeConfig(props, {
        targetPageBits: TARGET_PAGE_BITS,
        hostPageSize: machine.hostPageSize ?? DEFAULT_HOST_PAGE_SIZE,
      });
      if (!bus) throw new QemuError('VIRTIO-IOMMU is not attached to any PCI bus!', 'realize');
      trace.step('virtio_iommu_device_realize', {
        id: ctx.id,
        primary_bus: bus.name,
        page_size_mask: config.page_size_mask,
        input_range_end: config['input_range.end'],
        bypass: config.bypass === 1n,
      });
      const dev = new VirtIOIOMMU(ctx.id, Object.freeze({ ...props }), config, propRegions, prof, machine, trace);
      pciSetupIommu(bus, dev.ops);
      return dev;
    } catch (e) {
      if (pdev) machine.pci.unplug(pdev);
      throw e;
    }
  }
}

/** `qdev_device_add`'s bus lookup for a virtio device: a virtio-mmio bus of the machine. */
function checkVirtioBus(machine: MachineContext, bus: string | undefined): void {
  const hasMmio = VIRTIO_MMIO_FAMILIES.includes(machine.family);
  if (bus === undefined) {
    if (!hasMmio) throw new QemuError(`No 'virtio-bus' bus found for device '${TYPE_VIRTIO_IOMMU}'`, 'realize');
    return;
  }
  if (!hasMmio || !/^virtio-mmio-bus\.\d+$/.test(bus)) throw new QemuError(`Bus '${bus}' not found`, 'realize');
}

/**
 * `virtio_iommu_pci_realize`: the machine must have a hotplug handler for it, every reserved
 * region must be `RESERVED` (0) or `MSI` (1), and the proxy must sit on a root bus.
 */
function virtioIommuPciRealize(hotplug: boolean, regions: readonly ReservedRegion[], pbus: PCIBus): void {
  const fail = (msg: string, hint?: string) => new QemuError(msg, 'realize', undefined, hint);
  if (!hotplug) throw fail('Check your machine implements a hotplug handler for the virtio-iommu-pci device');
  regions.forEach((r, i) => {
    if (r.type !== VIRTIO_IOMMU_RESV_MEM_T_RESERVED && r.type !== VIRTIO_IOMMU_RESV_MEM_T_MSI) {
      throw fail(`reserved region ${i} has an invalid type`, 'Valid values are 0 and 1');
    }
  });
  if (!pbus.isRoot) throw fail('virtio-iommu-pci must be plugged on the root bus');
}
