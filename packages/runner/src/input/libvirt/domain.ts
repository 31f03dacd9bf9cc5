import { ConnectFlags, type Family } from './connect.js';
import { readControllers } from './controllers.js';
import { readOtherDevices } from './devices.js';
import { isVfioHostdev, readHostdevs } from './hostdevs.js';
import { MAX_VCPUS_WITHOUT_EIM, readIommus } from './iommu.js';
import type { DeviceInfo, PciControllerModel } from './pci-address.js';
import { attr, BadDomain, child, text, type Node } from './xml.js';

/** The groups of `qemuDomainAssignDevicePCISlots`, in the order it gives out slots. */
export const SLOT_GROUPS = [
  'fs', 'net', 'sound', 'controller', 'disk', 'hostdev', 'memballoon', 'rng', 'watchdog',
  'video', 'shmem', 'input', 'serial', 'iommu', 'vsock', 'memory', 'crypto', 'panic',
] as const;
export type SlotGroup = (typeof SLOT_GROUPS)[number];

/** A device that may take a PCI slot. */
export interface PciDevice {
  readonly group: SlotGroup;
  /** For notes: `<interface model='virtio'>`. */
  readonly what: string;
  readonly info: DeviceInfo;
  /** A USB2 companion controller: the set (controller index) and its function in their shared slot. */
  readonly usb2?: { index: number; fn: number; multi?: boolean };
}

/** `<controller>` (`virDomainControllerDef`). */
export interface Controller extends PciDevice {
  readonly type: string;
  readonly index: number;
  readonly model?: string;
  /** PCI controllers: `<model name>`, `<target chassis port chassisNr busNr hotplug>`, a `ua-` `<alias>`. */
  readonly pci?: {
    model: PciControllerModel;
    modelName?: string;
    chassis?: number;
    port?: number;
    chassisNr?: number;
    busNr?: number;
    hotplug?: boolean;
    alias?: string;
  };
}

export type IommuModel = 'intel' | 'smmuv3' | 'virtio';

/** `<iommu>` (`virDomainIOMMUDef`): the `<driver>` attributes as written (or as libvirt completes them). */
export interface Iommu extends PciDevice {
  readonly model: IommuModel;
  readonly driver: Readonly<Record<string, string>>;
  readonly granule?: string;
}

/** A PCI `<hostdev>` (or `<interface type='hostdev'>`) with the vfio driver. */
export interface Hostdev extends PciDevice {
  readonly host: string;
  /** `hostdevN`, numbered over every hostdev of the domain (`qemuAssignDeviceHostdevAlias`). */
  readonly alias: string;
  readonly iommufd: boolean;
  /** `<address type='unassigned'/>`: assigned to the guest by libvirt, left off the command line. */
  readonly unassigned: boolean;
}

/** A libvirt domain after libvirt's post-parse defaults (`qemu_postparse.c`). */
export interface Domain {
  readonly virtType?: string;
  readonly machine?: string;
  readonly family?: Family;
  /** `<features><ioapic driver>` (`qemu` when an IOMMU needs interrupt remapping). */
  readonly ioapic?: string;
  readonly gicVersion?: string;
  readonly controllers: Controller[];
  readonly iommus: Iommu[];
  readonly hostdevs: Hostdev[];
  /** Every device that may take a PCI slot: controllers, hostdevs and IOMMUs included. */
  readonly devices: PciDevice[];
  readonly notes: string[];
}

/** `qemuDomainIsQ35`, `qemuDomainIsI440FX`, `qemuDomainIsARMVirt`. */
function familyOf(machine: string | undefined, arch: string | undefined): Family | undefined {
  if (!machine) return undefined;
  if (machine === 'q35' || machine.startsWith('pc-q35')) return 'q35';
  if (machine === 'pc' || /^pc-(0\.|1\.|i440fx)/.test(machine) || machine.startsWith('rhel')) return 'pc';
  if ((arch === 'aarch64' || arch === 'armv7l') && (machine === 'virt' || machine.startsWith('virt-'))) return 'virt';
  return undefined;
}

/**
 * Reads `<domain>` as libvirt's QEMU driver holds it after parsing: the machine (QEMU's default
 * when `<os><type machine>` is missing: pc on x86_64, virt on aarch64), the GIC version libvirt
 * picks for a TCG virt guest (2), and the devices with libvirt's additions (see
 * `readControllers`, `readIommus`, `readOtherDevices`); an IOMMU that remaps interrupts turns on
 * the split I/O APIC (`qemuDomainDefEnableDefaultFeatures`).
 * @throws BadDomain for what cannot be read; LibvirtError for what libvirt refuses.
 */
export function readDomain(dom: Node): Domain {
  const notes: string[] = [];
  const typeNode = child(child(dom, 'os'), 'type');
  const arch = attr(typeNode, 'arch');
  const x86 = arch === undefined || arch === 'x86_64' || arch === 'i686';
  const machine = attr(typeNode, 'machine') ?? (arch === 'x86_64' || arch === 'i686' ? 'pc' : arch === 'aarch64' ? 'virt' : undefined);
  const family = familyOf(machine, arch);
  const features = child(dom, 'features');
  const vcpuText = text(dom.vcpu) ?? '1';
  if (!/^[0-9]+$/.test(vcpuText.trim())) throw new BadDomain(`<vcpu>${vcpuText}</vcpu> is not a number`);
  const vcpus = Number(vcpuText);

  const devs = child(dom, 'devices') ?? {};
  const flags = new ConnectFlags(family);
  const controllers = readControllers(devs, flags, x86);
  const hostdevGroup = readHostdevs(devs, flags.pcie, notes);
  // the EIM rule is for x86 guests only (qemuDomainNeedsIOMMUWithEIM)
  const iommus = readIommus(devs, family, flags.pcie, x86 ? vcpus : 0, notes);
  const devices = [...controllers, ...hostdevGroup, ...iommus, ...readOtherDevices(devs, flags, x86)];
  const needsEim = x86 && family === 'q35' && vcpus > MAX_VCPUS_WITHOUT_EIM;
  const remaps = iommus.length === 1 && (iommus[0]!.driver.intremap === 'on' || needsEim);
  return {
    virtType: attr(dom, 'type'),
    machine,
    family,
    ioapic: attr(child(features, 'ioapic'), 'driver') ?? (remaps ? 'qemu' : undefined),
    gicVersion: attr(child(features, 'gic'), 'version') ?? (family === 'virt' && attr(dom, 'type') === 'qemu' ? '2' : undefined),
    controllers,
    iommus,
    hostdevs: hostdevGroup.filter(isVfioHostdev),
    devices,
    notes,
  };
}
