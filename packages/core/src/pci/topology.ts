import { QemuError } from '../errors.js';
import type { PCIIOMMUOps } from './iommu-ops.js';
import { PCI_DEVFN, PCI_FUNC, PCI_SLOT } from './bdf.js';

/** PCIe capability device/port types (`PCI_EXP_TYPE_*`, linux/pci_regs.h). */
export const PCI_EXP_TYPE = {
  ENDPOINT: 0x0,
  LEG_END: 0x1,
  ROOT_PORT: 0x4,
  UPSTREAM: 0x5,
  DOWNSTREAM: 0x6,
  PCI_BRIDGE: 0x7,
  PCIE_BRIDGE: 0x8,
  RC_END: 0x9,
} as const;

/** How a QEMU device type sits in the topology. */
export interface PCIDeviceRole {
  /** PCIe capability type when the device is a PCI Express device, else null (conventional). */
  readonly expType: number | null;
  /** The kind of bus a bridge creates, or null for an endpoint. */
  readonly secondary: 'express' | 'conventional' | 'express-root' | null;
  /** Only plugs into a root bus (root ports) — informative. */
  readonly rootOnly?: boolean;
}

/**
 * Topology roles of the QEMU device types viommu understands (`hw/pci-bridge/*`).
 * Endpoints (vfio-pci, virtio-*-pci, …) are Express exactly when they sit on an Express bus.
 */
export const PCI_BRIDGE_ROLES: Readonly<Record<string, PCIDeviceRole>> = {
  'pcie-root-port': { expType: PCI_EXP_TYPE.ROOT_PORT, secondary: 'express', rootOnly: true },
  ioh3420: { expType: PCI_EXP_TYPE.ROOT_PORT, secondary: 'express', rootOnly: true },
  'x3130-upstream': { expType: PCI_EXP_TYPE.UPSTREAM, secondary: 'express' },
  'xio3130-downstream': { expType: PCI_EXP_TYPE.DOWNSTREAM, secondary: 'express' },
  'pcie-pci-bridge': { expType: PCI_EXP_TYPE.PCI_BRIDGE, secondary: 'conventional' },
  'pci-bridge': { expType: null, secondary: 'conventional' },
  'i82801b11-bridge': { expType: null, secondary: 'conventional' },
  'pxb-pcie': { expType: null, secondary: 'express-root' },
};

/** A PCI bus (QEMU `PCIBus`). */
export class PCIBus {
  /** Devices by devfn. */
  readonly devices = new Map<number, PCIDevice>();
  /** `bus->iommu_ops` + opaque, set by `pci_setup_iommu`. */
  iommuOps: PCIIOMMUOps | null = null;
  /** `iommu_per_bus` (10.2+ SMMUv3): pxb-pcie buses below do not inherit this bus's IOMMU. */
  iommuPerBus = false;

  /**
   * @param name bus id (`pcie.0`, or the bridge's `id=`)
   * @param isExpress `pci_bus_is_express`
   * @param isRoot `pci_bus_is_root` (host bridge buses and pxb-pcie buses)
   * @param parentDev the bridge (or pxb) that created it; null for a host bridge's bus
   * @param bypassIommu host bridge `bypass_iommu` (root buses only)
   */
  constructor(
    readonly name: string,
    readonly isExpress: boolean,
    readonly isRoot: boolean,
    readonly parentDev: PCIDevice | null,
    readonly bypassIommu = false,
  ) {}

  /** The bus the parent bridge sits on (`pci_get_bus(bus->parent_dev)`). */
  get parentBus(): PCIBus | null {
    return this.parentDev?.bus ?? null;
  }

  /** `pci_device_root_bus`: the root bus this bus hangs from. */
  rootBus(): PCIBus {
    let b: PCIBus = this;
    while (!b.isRoot && b.parentBus) b = b.parentBus;
    return b;
  }
}

/** A PCI function (QEMU `PCIDevice`). */
export class PCIDevice {
  /** The bus this bridge creates, if it is one. */
  secondaryBus: PCIBus | null = null;

  constructor(
    readonly typeName: string,
    readonly id: string | undefined,
    readonly bus: PCIBus,
    readonly devfn: number,
    /** PCIe capability type, or null for a conventional PCI function. */
    readonly expType: number | null,
    /** The `-device` properties as given (`iommufd`, `host`, …), for vIOMMUs that look at the device type. */
    readonly props: Readonly<Record<string, string>> = {},
  ) {}

  /** `pci_is_express`. */
  get isExpress(): boolean {
    return this.expType !== null;
  }
}

/**
 * The PCI tree of one machine: root buses, bridges and endpoints, addressed by bus name.
 * Errors carry QEMU's texts.
 */
export class PCITopology {
  readonly #buses = new Map<string, PCIBus>();

  /** Creates a host bridge's root bus (`pcie.0` on q35 and virt). */
  addRootBus(name: string, isExpress: boolean, bypassIommu = false): PCIBus {
    const bus = new PCIBus(name, isExpress, true, null, bypassIommu);
    this.#buses.set(name, bus);
    return bus;
  }

  /** The bus named `name`. @throws QemuError `Bus '<name>' not found`. */
  bus(name: string): PCIBus {
    const b = this.#buses.get(name);
    if (!b) throw new QemuError(`Bus '${name}' not found`, 'realize');
    return b;
  }

  /** All buses in creation order. */
  buses(): PCIBus[] {
    return [...this.#buses.values()];
  }

  /** All devices, bus by bus, in devfn order. */
  devices(): PCIDevice[] {
    return this.buses().flatMap((b) => [...b.devices.values()].sort((x, y) => x.devfn - y.devfn));
  }

  /**
   * `do_pci_register_device`'s placement: puts a function at `devfn` (or the first free
   * slot at function 0 when undefined) on `bus`, and creates a bridge's secondary bus
   * named after `id`.
   * @throws QemuError with QEMU's message when the slot is taken or invalid.
   */
  plug(opts: {
    typeName: string;
    id?: string;
    bus: PCIBus;
    devfn?: number;
    role?: PCIDeviceRole;
    bypassIommu?: boolean;
    props?: Readonly<Record<string, string>>;
  }): PCIDevice {
    const { bus, typeName } = opts;
    const role = opts.role ?? { expType: bus.isExpress ? PCI_EXP_TYPE.ENDPOINT : null, secondary: null };
    let devfn = opts.devfn;
    if (devfn === undefined) {
      devfn = -1;
      for (let slot = 0; slot < 32; slot++) {
        if (!bus.devices.has(PCI_DEVFN(slot, 0))) {
          devfn = PCI_DEVFN(slot, 0);
          break;
        }
      }
      if (devfn < 0) throw new QemuError(`PCI: no slot/function available for ${typeName}, all in use or reserved`, 'realize');
    }
    const taken = bus.devices.get(devfn);
    if (taken) {
      throw new QemuError(
        `PCI: slot ${PCI_SLOT(devfn)} function ${PCI_FUNC(devfn)} not available for ${typeName}, in use by ${taken.typeName},id=${taken.id ?? '(null)'}`,
        'realize',
      );
    }
    const port = bus.parentDev;
    if (
      port?.expType === PCI_EXP_TYPE.ROOT_PORT || port?.expType === PCI_EXP_TYPE.DOWNSTREAM
        ? PCI_SLOT(devfn) !== 0
        : false
    ) {
      throw new QemuError(
        `PCI: slot ${PCI_SLOT(devfn)} is not valid for ${typeName}, parent device only allows plugging into slot 0.`,
        'realize',
      );
    }
    const dev = new PCIDevice(typeName, opts.id, bus, devfn, role.expType, opts.props);
    bus.devices.set(devfn, dev);
    if (role.secondary) {
      const name = opts.id ?? `${typeName}.${this.#buses.size}`;
      const sec =
        role.secondary === 'express-root'
          ? new PCIBus(name, true, true, dev, opts.bypassIommu ?? false)
          : new PCIBus(name, role.secondary === 'express', false, dev);
      dev.secondaryBus = sec;
      this.#buses.set(name, sec);
    }
    return dev;
  }

  /** Removes a device (and its secondary bus, which must be empty). */
  unplug(dev: PCIDevice): void {
    dev.bus.devices.delete(dev.devfn);
    if (dev.secondaryBus) this.#buses.delete(dev.secondaryBus.name);
  }
}
