import type { HostIOMMUDevice } from '../host-iommu-device.js';
import type { AddressSpace } from '../memory.js';
import type { IommuHwInfoData } from '../uapi/iommufd.js';
import type { PCIIOMMUOps } from './iommu-ops.js';
import { PCI_EXP_TYPE, type PCIBus, type PCIDevice } from './topology.js';

/** Result of `pci_device_get_iommu_bus_devfn`. */
export interface IommuBusDevfn {
  /** The bus whose `iommu_ops` translate this device, or null when none does. */
  readonly iommuBus: PCIBus | null;
  /** The requester id the IOMMU sees: (aliased bus, aliased devfn). */
  readonly aliasedBus: PCIBus;
  readonly aliasedDevfn: number;
  /** The requester id is aliased (the device sits below a conventional PCI bus). */
  readonly aliased: boolean;
}

/**
 * `pci_device_get_iommu_bus_devfn` (`hw/pci/pci.c`): walk from the device's bus to the
 * root. Every conventional level aliases the requester id — to (secondary bus, 00.0)
 * behind a PCIe-to-PCI bridge, else to (bridge's bus, bridge's devfn) — so the topmost
 * conventional level wins. A pxb-pcie root bus stops the walk when its parent bus is
 * `iommu_per_bus`. A bypassed host bridge or a bus without ops means no vIOMMU.
 */
export function pciDeviceGetIommuBusDevfn(dev: PCIDevice): IommuBusDevfn {
  let bus: PCIBus = dev.bus;
  let iommuBus: PCIBus = bus;
  let devfn = dev.devfn;
  let aliased = false;

  while (!iommuBus.iommuOps && iommuBus.parentDev) {
    const bridge = iommuBus.parentDev;
    const parentBus = bridge.bus;
    if (!iommuBus.isExpress) {
      if (bridge.isExpress && bridge.expType === PCI_EXP_TYPE.PCI_BRIDGE) {
        bus = iommuBus;
        devfn = 0;
      } else {
        bus = parentBus;
        devfn = bridge.devfn;
      }
      aliased = true;
    }
    if (iommuBus.isRoot && iommuBus.isExpress && parentBus.iommuPerBus) break;
    iommuBus = parentBus;
  }
  const found = iommuBus.iommuOps && !bus.rootBus().bypassIommu ? iommuBus : null;
  return { iommuBus: found, aliasedBus: bus, aliasedDevfn: devfn, aliased };
}

function opsOf(dev: PCIDevice): { ops: PCIIOMMUOps | null; where: IommuBusDevfn } {
  const where = pciDeviceGetIommuBusDevfn(dev);
  return { ops: where.iommuBus?.iommuOps ?? null, where };
}

/**
 * `pci_device_iommu_address_space`: the vIOMMU's address space for the aliased requester,
 * or the machine's `address_space_memory`.
 */
export function pciDeviceIommuAddressSpace(dev: PCIDevice, addressSpaceMemory: AddressSpace): AddressSpace {
  const { ops, where } = opsOf(dev);
  return ops ? ops.getAddressSpace(where.aliasedBus, where.aliasedDevfn) : addressSpaceMemory;
}

/**
 * `pci_device_set_iommu_device`: stores the alias into the hiod and calls the vIOMMU's
 * `set_iommu_device` with the device's own bus/devfn. No vIOMMU or no op: accepted.
 * @throws QemuError from the vIOMMU.
 */
export function pciDeviceSetIommuDevice(dev: PCIDevice, hiod: HostIOMMUDevice): void {
  const { ops, where } = opsOf(dev);
  if (!ops?.setIommuDevice) return;
  hiod.aliasedBus = where.aliasedBus;
  hiod.aliasedDevfn = where.aliasedDevfn;
  ops.setIommuDevice(dev.bus, dev.devfn, hiod);
}

/**
 * `pci_iommu_supports_address_space` (master, `do_pci_register_device`): asks the vIOMMU
 * whether the device at the aliased requester id may be translated at all. No vIOMMU or no
 * op: accepted. Call it when plugging a device, before its realize.
 * @throws QemuError from the vIOMMU (no `vfio …:` prefix: it is raised by PCI registration).
 */
export function pciDeviceSupportsAddressSpace(dev: PCIDevice): void {
  const { ops, where } = opsOf(dev);
  ops?.supportsAddressSpace?.(where.aliasedBus, where.aliasedDevfn);
}

/** `pci_device_unset_iommu_device`. */
export function pciDeviceUnsetIommuDevice(dev: PCIDevice): void {
  const { ops } = opsOf(dev);
  ops?.unsetIommuDevice?.(dev.bus, dev.devfn);
}

/** `pci_device_get_viommu_flags`: 0 when there is no vIOMMU or it has no callback. */
export function pciDeviceGetViommuFlags(dev: PCIDevice): bigint {
  return opsOf(dev).ops?.getViommuFlags?.() ?? 0n;
}

/** `pci_device_get_host_iommu_quirks`: 0 when there is no vIOMMU or it has no callback. */
export function pciDeviceGetHostIommuQuirks(dev: PCIDevice, type: number, caps: IommuHwInfoData | null, size: number): bigint {
  return opsOf(dev).ops?.getHostIommuQuirks?.(type, caps, size) ?? 0n;
}

/** `pci_setup_iommu(bus, ops, opaque)`. */
export function pciSetupIommu(bus: PCIBus, ops: PCIIOMMUOps): void {
  bus.iommuOps = ops;
}
