/**
 * libvirt's PCI address assignment (`src/conf/domain_addr.c`, `src/qemu/qemu_domain_address.c`):
 * which slot each device without a guest `<address>` gets, and which controllers libvirt adds
 * so that it has one (a `pcie-root-port` per PCI Express endpoint on q35 and virt).
 */

/** `virDomainPCIConnectFlags` (`domain_addr.h`): what a device needs, what a bus accepts. */
export const CONNECT = {
  AUTOASSIGN: 1 << 0,
  HOTPLUGGABLE: 1 << 1,
  AGGREGATE_SLOT: 1 << 2,
  INTEGRATED: 1 << 3,
  PCI_DEVICE: 1 << 4,
  PCIE_DEVICE: 1 << 5,
  PCIE_ROOT_PORT: 1 << 6,
  PCIE_SWITCH_UPSTREAM_PORT: 1 << 7,
  PCIE_SWITCH_DOWNSTREAM_PORT: 1 << 8,
  DMI_TO_PCI_BRIDGE: 1 << 9,
  PCI_EXPANDER_BUS: 1 << 10,
  PCIE_EXPANDER_BUS: 1 << 11,
  PCI_BRIDGE: 1 << 12,
  PCIE_TO_PCI_BRIDGE: 1 << 13,
} as const;
const TYPES_MASK = 0x3ff0;
const TYPES_ENDPOINT = CONNECT.PCI_DEVICE | CONNECT.PCIE_DEVICE;
const SLOT_LAST = 31;

/** libvirt's `<controller type='pci' model=…>` names. */
export type PciControllerModel =
  | 'pci-root'
  | 'pcie-root'
  | 'pci-bridge'
  | 'dmi-to-pci-bridge'
  | 'pcie-root-port'
  | 'pcie-switch-upstream-port'
  | 'pcie-switch-downstream-port'
  | 'pci-expander-bus'
  | 'pcie-expander-bus'
  | 'pcie-to-pci-bridge';

/** A guest PCI address (`virPCIDeviceAddress`); `multi` is the tristate `multifunction`. */
export interface PciAddress {
  bus: number;
  slot: number;
  fn: number;
  multi?: boolean;
}

/** What address assignment needs of a device (`virDomainDeviceInfo`). */
export interface DeviceInfo {
  /** The connect flags (`qemuDomainDeviceCalculatePCIConnectFlags`); 0: not a PCI device. */
  flags: number;
  /** Given in the XML, or assigned. */
  addr?: PciAddress;
  /** `<address type='…'>` other than pci (virtio-mmio, ccw, unassigned): never gets a PCI slot. */
  otherAddress?: boolean;
}

/** `virDeviceInfoPCIAddressIsWanted`: no address yet (or an all-zero `type='pci'` one). */
export const wantsAddress = (i: DeviceInfo): boolean => i.flags !== 0 && !i.otherAddress && i.addr === undefined;

/** `virDomainPCIControllerModelToConnectType`: what a controller needs upstream. */
export function controllerConnectFlags(model: PciControllerModel): number {
  switch (model) {
    case 'pci-root':
    case 'pcie-root':
      return 0;
    case 'pci-bridge':
      return CONNECT.PCI_BRIDGE;
    case 'pci-expander-bus':
      return CONNECT.PCI_EXPANDER_BUS;
    case 'pcie-expander-bus':
      return CONNECT.PCIE_EXPANDER_BUS;
    case 'dmi-to-pci-bridge':
      return CONNECT.DMI_TO_PCI_BRIDGE;
    case 'pcie-to-pci-bridge':
      return CONNECT.PCIE_TO_PCI_BRIDGE;
    case 'pcie-root-port':
      return CONNECT.PCIE_ROOT_PORT | CONNECT.AGGREGATE_SLOT;
    case 'pcie-switch-upstream-port':
      return CONNECT.PCIE_SWITCH_UPSTREAM_PORT;
    case 'pcie-switch-downstream-port':
      return CONNECT.PCIE_SWITCH_DOWNSTREAM_PORT;
  }
}

/** `virDomainPCIControllerConnectTypeToModel`, in its order. */
const CONTROLLER_OF_CONNECT: readonly [number, PciControllerModel][] = [
  [CONNECT.PCIE_ROOT_PORT, 'pcie-root-port'],
  [CONNECT.PCIE_SWITCH_UPSTREAM_PORT, 'pcie-switch-upstream-port'],
  [CONNECT.PCIE_SWITCH_DOWNSTREAM_PORT, 'pcie-switch-downstream-port'],
  [CONNECT.DMI_TO_PCI_BRIDGE, 'dmi-to-pci-bridge'],
  [CONNECT.PCI_EXPANDER_BUS, 'pci-expander-bus'],
  [CONNECT.PCIE_EXPANDER_BUS, 'pcie-expander-bus'],
  [CONNECT.PCI_BRIDGE, 'pci-bridge'],
];

interface Slot {
  functions: number;
  aggregate: boolean;
}

const C = CONNECT;
/**
 * `virDomainPCIAddressBusSetModel`: what each controller's bus accepts downstream and its slots.
 * Hotplug is on for all (only a `<target hotplug='off'/>` turns it off, and no cold-plugged device
 * asks for it).
 */
const BUS_MODELS: Readonly<Record<PciControllerModel, readonly [flags: number, minSlot: number, maxSlot: number]>> = {
  'pci-root': [C.AUTOASSIGN | C.PCI_DEVICE | C.PCI_BRIDGE | C.PCI_EXPANDER_BUS | C.HOTPLUGGABLE, 1, SLOT_LAST],
  'pci-bridge': [C.AUTOASSIGN | C.PCI_DEVICE | C.PCI_BRIDGE | C.HOTPLUGGABLE, 1, SLOT_LAST],
  'pci-expander-bus': [C.AUTOASSIGN | C.PCI_DEVICE | C.PCI_BRIDGE | C.HOTPLUGGABLE, 0, SLOT_LAST],
  'pcie-root': [C.PCIE_DEVICE | C.PCIE_ROOT_PORT | C.DMI_TO_PCI_BRIDGE | C.PCIE_EXPANDER_BUS, 1, SLOT_LAST],
  'dmi-to-pci-bridge': [C.PCI_DEVICE | C.PCI_BRIDGE, 0, SLOT_LAST],
  'pcie-to-pci-bridge': [C.AUTOASSIGN | C.PCI_DEVICE | C.PCI_BRIDGE | C.HOTPLUGGABLE, 1, SLOT_LAST],
  'pcie-root-port': [C.AUTOASSIGN | C.PCIE_DEVICE | C.PCIE_SWITCH_UPSTREAM_PORT | C.PCIE_TO_PCI_BRIDGE | C.HOTPLUGGABLE, 0, 0],
  'pcie-switch-downstream-port': [C.AUTOASSIGN | C.PCIE_DEVICE | C.PCIE_SWITCH_UPSTREAM_PORT | C.PCIE_TO_PCI_BRIDGE | C.HOTPLUGGABLE, 0, 0],
  'pcie-switch-upstream-port': [C.PCIE_SWITCH_DOWNSTREAM_PORT, 0, SLOT_LAST],
  'pcie-expander-bus': [C.PCIE_ROOT_PORT | C.DMI_TO_PCI_BRIDGE, 0, SLOT_LAST],
};

/** A bus of the address set (`virDomainPCIAddressBus`): the functions in use per slot. */
class Bus {
  flags = 0;
  minSlot = 0;
  maxSlot = SLOT_LAST;
  readonly slots: Slot[] = Array.from({ length: SLOT_LAST + 1 }, () => ({ functions: 0, aggregate: false }));
  constructor(public model: PciControllerModel) {
    this.setModel(model);
  }

  setModel(model: PciControllerModel): void {
    this.model = model;
    [this.flags, this.minSlot, this.maxSlot] = BUS_MODELS[model];
  }

  isFullyReserved(): boolean {
    return this.slots.slice(this.minSlot, this.maxSlot + 1).every((s) => s.functions !== 0);
  }
}

/** libvirt refused the configuration; `message` is libvirt's text. */
export class LibvirtError extends Error {}

/** `virPCIDeviceAddressAsString`. */
export const pciAddressString = (a: PciAddress): string =>
  `0000:${a.bus.toString(16).padStart(2, '0')}:${a.slot.toString(16).padStart(2, '0')}.${a.fn}`;

/** Why `virDomainPCIAddressFlagsCompatible` refuses a device on a bus (undefined: it does not). */
type Refusal = 'integrated' | 'autoassign' | 'hotplug' | 'type';

/** `virDomainPCIAddressFlagsCompatible` without the messages (the search for a free slot calls it per bus). */
function refusal(bus: number, busFlags: number, devFlags: number, fromConfig: boolean): Refusal | undefined {
  if (devFlags & CONNECT.INTEGRATED) {
    if (bus !== 0) return 'integrated';
    busFlags |= CONNECT.AUTOASSIGN;
  }
  if (fromConfig) {
    if (busFlags & TYPES_ENDPOINT) busFlags |= TYPES_ENDPOINT;
    if (devFlags & CONNECT.PCI_BRIDGE) devFlags |= CONNECT.PCI_DEVICE;
  } else if (devFlags & CONNECT.AUTOASSIGN && !(busFlags & CONNECT.AUTOASSIGN)) {
    return 'autoassign';
  }
  if (devFlags & CONNECT.HOTPLUGGABLE && !(busFlags & CONNECT.HOTPLUGGABLE)) return 'hotplug';
  return devFlags & busFlags & TYPES_MASK ? undefined : 'type';
}

/** The names libvirt gives the connect types in its messages. */
const CONNECT_NAMES: readonly [number, string][] = [
  [CONNECT.PCI_DEVICE, 'standard PCI device'],
  [CONNECT.PCIE_DEVICE, 'PCI Express device'],
  [CONNECT.PCIE_ROOT_PORT, 'pcie-root-port'],
  [CONNECT.PCIE_SWITCH_UPSTREAM_PORT, 'pcie-switch-upstream-port'],
  [CONNECT.PCIE_SWITCH_DOWNSTREAM_PORT, 'pcie-switch-downstream-port'],
  [CONNECT.DMI_TO_PCI_BRIDGE, 'dmi-to-pci-bridge'],
  [CONNECT.PCIE_TO_PCI_BRIDGE, 'pcie-to-pci-bridge'],
  [CONNECT.PCI_EXPANDER_BUS, 'pci-expander-bus'],
  [CONNECT.PCIE_EXPANDER_BUS, 'pcie-expander-bus'],
  [CONNECT.PCI_BRIDGE, 'pci-bridge'],
];

/** libvirt's message for a refusal (`virDomainPCIAddressFlagsCompatible` with reportError). */
function refusalMessage(why: Refusal, addr: PciAddress, devFlags: number, fromConfig: boolean): string {
  const where = pciAddressString(addr);
  const kind = fromConfig ? 'XML error' : 'internal error';
  switch (why) {
    case 'integrated':
      return `${kind}: The device at PCI address ${where} needs to be an integrated device (bus=0)`;
    case 'autoassign':
      return `${kind}: The device at PCI address ${where} was auto-assigned this address, but the PCI controller with index='${addr.bus}' doesn't allow auto-assignment`;
    case 'hotplug':
      return `${kind}: The device at PCI address ${where} requires hotplug capability, but the PCI controller with index='${addr.bus}' doesn't support hotplug`;
    case 'type': {
      const needs = CONNECT_NAMES.find(([f]) => devFlags & f)?.[1];
      if (!needs) return `${kind}: The device at PCI address ${where} has unrecognized connection type flags 0x${(devFlags & TYPES_MASK).toString(16).padStart(2, '0')}`;
      return `${kind}: The device at PCI address ${where} cannot be plugged into the PCI controller with index='${addr.bus}'. It requires a controller that accepts a ${needs}.`;
    }
  }
}

/** A set of PCI buses and the functions in use (`virDomainPCIAddressSet`). */
export class PciAddressSet {
  readonly buses: Bus[];
  readonly #searchFrom = new Map<string, number>();
  constructor(
    models: readonly (PciControllerModel | undefined)[],
    readonly dryRun: boolean,
  ) {
    const defaultModel: PciControllerModel = models[0] === 'pcie-root' ? 'pcie-root-port' : 'pci-bridge';
    this.buses = models.map((m, i) => new Bus(m ?? (i === 0 ? 'pci-root' : defaultModel)));
  }

  /** `virDomainPCIAddressValidate`. */
  #validate(addr: PciAddress, flags: number, fromConfig: boolean): void {
    const where = pciAddressString(addr);
    const kind = fromConfig ? 'XML error' : 'internal error';
    if (this.buses.length === 0) throw new LibvirtError(`${kind}: No PCI buses available`);
    if (addr.bus >= this.buses.length) {
      throw new LibvirtError(`${kind}: Invalid PCI address ${where}. Only PCI buses up to ${this.buses.length - 1} are available`);
    }
    const bus = this.buses[addr.bus]!;
    const why = refusal(addr.bus, bus.flags, flags, fromConfig);
    if (why) throw new LibvirtError(refusalMessage(why, addr, flags, fromConfig));
    if (bus.minSlot && addr.slot < bus.minSlot) throw new LibvirtError(`${kind}: Invalid PCI address ${where}. slot must be >= ${bus.minSlot}`);
    if (addr.slot > bus.maxSlot) throw new LibvirtError(`${kind}: Invalid PCI address ${where}. slot must be <= ${bus.maxSlot}`);
  }

  /** `virDomainPCIAddressReserveAddrInternal`. */
  reserve(addr: PciAddress, flags: number, fromConfig: boolean): void {
    if (this.dryRun) this.#grow(addr, flags);
    this.#validate(addr, flags, fromConfig);
    const slot = this.buses[addr.bus]!.slots[addr.slot]!;
    if (slot.functions & (1 << addr.fn)) {
      throw new LibvirtError(`${fromConfig ? 'XML error' : 'internal error'}: Attempted double use of PCI Address ${pciAddressString(addr)}`);
    }
    if (!slot.functions && flags & CONNECT.AGGREGATE_SLOT) slot.aggregate = true;
    slot.functions |= 1 << addr.fn;
  }

  inUse(addr: PciAddress): boolean {
    return this.buses[addr.bus]!.slots[addr.slot]!.functions !== 0;
  }

  /**
   * `virDomainPCIAddressReserveNextAddr`: the first free slot (or free function of an aggregate
   * slot) of the first bus that takes `flags`; `fn` asks for that function of a free slot.
   */
  reserveNext(info: DeviceInfo, flags = info.flags, fn?: number): PciAddress {
    const addr = this.#next(flags, fn);
    this.reserve(addr, flags, false);
    if (!this.dryRun) info.addr = { ...addr };
    return addr;
  }

  /** `virDomainPCIAddressGetNextAddr` (isolation groups are pSeries-only, so one pass suffices). */
  #next(flags: number, fn?: number): PciAddress {
    if (this.buses.length === 0) throw new LibvirtError('XML error: No PCI buses available');
    // buses only fill up, so the search for the same flags can start where the last one ended
    const key = `${flags}/${fn}`;
    for (let b = this.#searchFrom.get(key) ?? 0; b < this.buses.length; b++) {
      this.#searchFrom.set(key, b);
      const bus = this.buses[b]!;
      const a: PciAddress = { bus: b, slot: bus.minSlot, fn: fn ?? 0 };
      if (refusal(b, bus.flags, flags, false)) continue;
      for (; a.slot <= bus.maxSlot; a.slot++) {
        const slot = bus.slots[a.slot]!;
        if (slot.functions === 0) return a;
        if (flags & CONNECT.AGGREGATE_SLOT && slot.aggregate) {
          if (!(slot.functions & (1 << a.fn))) return a;
          if (fn === undefined) {
            for (; a.fn < 8; a.fn++) if (!(slot.functions & (1 << a.fn))) return a;
            a.fn = 0;
          }
        }
      }
    }
    if (!this.dryRun) throw new LibvirtError('internal error: No more available PCI slots');
    const a: PciAddress = { bus: this.buses.length, slot: 0, fn: fn ?? 0 };
    this.#grow(a, flags);
    a.slot = this.buses[a.bus]!.minSlot;
    return a;
  }

  /** `virDomainPCIAddressSetGrow`: adds the buses `addr` needs (dry run only). */
  #grow(addr: PciAddress, flags: number): void {
    let add = addr.bus - this.buses.length + 1;
    if (add <= 0) return;
    let model: PciControllerModel;
    let needPCIeToPCIBridge = false;
    if (flags & CONNECT.PCI_DEVICE) {
      model = 'pci-bridge';
      needPCIeToPCIBridge = !this.buses.some((b) => b.flags & CONNECT.PCI_BRIDGE);
      if (needPCIeToPCIBridge && add === 1) {
        add++;
        addr.bus++;
      }
    } else if (flags & (CONNECT.PCIE_DEVICE | CONNECT.PCIE_SWITCH_UPSTREAM_PORT)) {
      model = 'pcie-root-port';
    } else {
      const controller = CONTROLLER_OF_CONNECT.find(([f]) => flags & f)?.[1];
      throw new LibvirtError(
        controller
          ? `internal error: a PCI slot is needed to connect a PCI controller model='${controller}', but none is available, and it cannot be automatically added`
          : `internal error: Cannot automatically add a new PCI bus for a device with connect flags ${flags.toString(16).padStart(2, '0')}`,
      );
    }
    const first = this.buses.length;
    for (let i = 0; i < add; i++) this.buses.push(new Bus(model));
    if (needPCIeToPCIBridge) {
      // a root port that only takes the bridge (so the spare hotplug port is another one)
      this.buses[first]!.setModel('pcie-root-port');
      this.buses[first]!.flags = CONNECT.PCIE_TO_PCI_BRIDGE;
      this.buses[first + 1]!.setModel('pcie-to-pci-bridge');
    }
  }
}
