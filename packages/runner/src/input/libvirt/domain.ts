import { CONNECT, LibvirtError, type DeviceInfo, type PciAddress, type PciControllerModel } from './pci-address.js';

/** A parsed XML element (fast-xml-parser: attributes as `@_name`). */
export type Node = Record<string, unknown>;

export const asArray = (v: unknown): Node[] => (v === undefined ? [] : Array.isArray(v) ? (v as Node[]) : [v as Node]);
export const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.[`@_${name}`];
  return v === undefined ? undefined : String(v);
};
const child = (n: Node | undefined, name: string): Node | undefined => {
  const v = n?.[name];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : v === '' ? {} : undefined;
};

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
  /** Function within the slot a USB2 companion needs (`qemuDomainAssignDevicePCISlots`). */
  readonly usb2?: { index: number; fn: number; multi?: boolean };
}

/** `<controller>` (`virDomainControllerDef`). */
export interface Controller extends PciDevice {
  readonly type: string;
  readonly index: number;
  readonly model?: string;
  /** PCI controllers: `<model name>`, `<target chassis port chassisNr busNr hotplug>`, `<alias>`. */
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

/** `<iommu>` (`virDomainIOMMUDef`): the `<driver>` attributes as written. */
export interface Iommu extends PciDevice {
  readonly model: IommuModel;
  readonly driver: Readonly<Record<string, string>>;
  readonly granule?: string;
}

/** A PCI `<hostdev>` (or `<interface type='hostdev'>`) with the vfio driver. */
export interface Hostdev extends PciDevice {
  readonly host: string;
  readonly iommufd: boolean;
  /** `<address type='unassigned'/>`: assigned to the guest by libvirt, left off the command line. */
  readonly unassigned: boolean;
}

/** A libvirt domain after libvirt's post-parse defaults (`qemu_postparse.c`). */
export interface Domain {
  readonly virtType?: string;
  readonly arch?: string;
  readonly machine?: string;
  readonly family?: 'q35' | 'pc' | 'virt';
  /** `<features><ioapic driver>` (set to `qemu` when an IOMMU needs interrupt remapping). */
  readonly ioapic?: string;
  readonly gicVersion?: string;
  readonly controllers: Controller[];
  readonly iommus: Iommu[];
  readonly hostdevs: Hostdev[];
  /** Every device that may take a PCI slot, controllers, hostdevs and IOMMUs included. */
  readonly devices: PciDevice[];
  readonly notes: string[];
}

/** `QEMU_MAX_VCPUS_WITHOUT_EIM` (`qemu_domain.h`). */
const MAX_VCPUS_WITHOUT_EIM = 255;

const PCI_MODELS: readonly PciControllerModel[] = [
  'pci-root', 'pcie-root', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-root-port', 'pcie-switch-upstream-port',
  'pcie-switch-downstream-port', 'pci-expander-bus', 'pcie-expander-bus', 'pcie-to-pci-bridge',
];

/** `qemuDomainIsQ35`, `qemuDomainIsI440FX`, `qemuDomainIsARMVirt`. */
function familyOf(machine: string | undefined, arch: string | undefined): Domain['family'] {
  if (!machine) return undefined;
  if (machine === 'q35' || machine.startsWith('pc-q35')) return 'q35';
  if (machine === 'pc' || /^pc-(0\.|1\.|i440fx)/.test(machine) || machine.startsWith('rhel')) return 'pc';
  if ((arch === 'aarch64' || arch === 'armv7l') && (machine === 'virt' || machine.startsWith('virt-'))) return 'virt';
  return undefined;
}

/** libvirt numbers (`virStrToLong_uip`: decimal, or hex with `0x`). */
function number(n: Node | undefined, name: string, what: string): number | undefined {
  const s = attr(n, name);
  if (s === undefined) return undefined;
  const v = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^[0-9]+$/.test(s) ? parseInt(s, 10) : NaN;
  if (!Number.isSafeInteger(v)) throw new BadDomain(`${what}: ${name}='${s}' is not a number`);
  return v;
}

/** The domain XML is not one viommu can read; libvirt.ts adds the file name. */
export class BadDomain extends Error {}

/** `<address>` of a device: a PCI one (all-zero counts as none), or another type. */
function readAddress(dev: Node, where: string): Pick<DeviceInfo, 'addr' | 'otherAddress'> {
  const a = child(dev, 'address');
  if (!a) return {};
  const type = attr(a, 'type');
  if (type !== 'pci') return { otherAddress: true };
  const domain = number(a, 'domain', `${where} <address>`) ?? 0;
  const addr: PciAddress = {
    bus: number(a, 'bus', `${where} <address>`) ?? 0,
    slot: number(a, 'slot', `${where} <address>`) ?? 0,
    fn: number(a, 'function', `${where} <address>`) ?? 0,
  };
  const multi = attr(a, 'multifunction');
  if (multi === 'on' || multi === 'off') addr.multi = multi === 'on';
  if (domain === 0 && addr.bus === 0 && addr.slot === 0 && addr.fn === 0) return {};
  if (domain !== 0) throw new LibvirtError(`XML error: Invalid PCI address 0000:${addr.bus.toString(16).padStart(2, '0')}:${addr.slot.toString(16).padStart(2, '0')}.${addr.fn}. Only PCI domain 0 is available`);
  if (addr.slot > 31) throw new BadDomain(`${where} <address slot='0x${addr.slot.toString(16)}'> is out of range (0..0x1f)`);
  if (addr.fn > 7) throw new BadDomain(`${where} <address function='${addr.fn}'> is out of range (0..7)`);
  if (addr.bus > 255) throw new BadDomain(`${where} <address bus='0x${addr.bus.toString(16)}'> is out of range (0..0xff)`);
  return { addr };
}

/** Reads `<domain>`, applying libvirt's defaults: root controllers, default USB controller and memballoon, IOMMU auto-add. */
export function readDomain(dom: Node): Domain {
  const notes: string[] = [];
  const os = child(dom, 'os');
  const osType = os?.type;
  const typeNode = typeof osType === 'object' && osType !== null ? (asArray(osType)[0] as Node) : undefined;
  const arch = attr(typeNode, 'arch');
  // qemuDomainDefaultMachine: QEMU's default machine (pc on x86_64), virt on aarch64
  const machine = attr(typeNode, 'machine') ?? (arch === 'x86_64' || arch === 'i686' ? 'pc' : arch === 'aarch64' ? 'virt' : undefined);
  const family = familyOf(machine, arch);
  const features = child(dom, 'features');
  let ioapic = attr(child(features, 'ioapic'), 'driver');
  // qemuDomainDefEnableDefaultFeatures: virt always has a GIC; TCG gets v2, KVM the host's newest
  const gicVersion = attr(child(features, 'gic'), 'version') ?? (family === 'virt' && attr(dom, 'type') === 'qemu' ? '2' : undefined);
  const vcpuNode = dom.vcpu;
  const vcpus = Number(typeof vcpuNode === 'object' && vcpuNode !== null ? (vcpuNode as Node)['#text'] : (vcpuNode ?? 1));
  const x86 = arch === 'x86_64' || arch === 'i686' || (arch === undefined && family !== 'virt');

  const devs = child(dom, 'devices') ?? {};
  const pcieRoot = family === 'q35' || family === 'virt';
  // qemuDomainFillDevicePCIConnectFlagsIterInit: virtio devices are PCI Express where the root is
  const pcieFlags = (pcieRoot ? CONNECT.PCIE_DEVICE : CONNECT.PCI_DEVICE) | CONNECT.AUTOASSIGN;
  const pciFlags = CONNECT.PCI_DEVICE | CONNECT.AUTOASSIGN;
  const virtio = (model: string | undefined) => (model === 'virtio-transitional' ? pciFlags : pcieFlags);
  const devices: PciDevice[] = [];
  const add = (group: SlotGroup, what: string, node: Node, flags: number): PciDevice => {
    const d: PciDevice = { group, what, info: { flags, ...(flags ? readAddress(node, what) : {}) } };
    devices.push(d);
    return d;
  };

  const controllers: Controller[] = [];
  asArray(devs.controller).forEach((c, i) => {
    const type = attr(c, 'type') ?? '';
    const index = number(c, 'index', `<controller type='${type}'>`) ?? (type === 'pci' ? 0 : 0);
    const model = attr(c, 'model');
    const what = `<controller type='${type}' index='${index}'${model ? ` model='${model}'` : ''}>`;
    let controller: Controller;
    if (type === 'pci') {
      if (!model || !PCI_MODELS.includes(model as PciControllerModel)) {
        throw new BadDomain(`<controller type='pci'${model ? ` model='${model}'` : ''}> (#${i + 1}) is not a PCI controller model libvirt has`);
      }
      const target = child(c, 'target');
      const hotplug = attr(target, 'hotplug');
      const pciModel = model as PciControllerModel;
      controller = {
        group: 'controller',
        what,
        type,
        index,
        model,
        info: { flags: 0, ...readAddress(c, what) },
        pci: {
          model: pciModel,
          modelName: attr(child(c, 'model'), 'name'),
          chassis: number(target, 'chassis', what),
          port: number(target, 'port', what),
          chassisNr: number(target, 'chassisNr', what),
          busNr: number(target, 'busNr', what),
          hotplug: hotplug === undefined ? undefined : hotplug === 'on',
          alias: attr(child(c, 'alias'), 'name')?.startsWith('ua-') ? attr(child(c, 'alias'), 'name') : undefined,
        },
      };
    } else {
      controller = { group: 'controller', what, type, index, model, info: { flags: 0, ...readAddress(c, what) } };
    }
    insertController(controllers, controller);
  });
  const controllerOf = (type: string, index: number) => controllers.find((c) => c.type === type && c.index === index);

  // qemuDomainDefAddDefaultDevices: the root bus, SATA on q35, the default USB controller (x86)
  const root = controllerOf('pci', 0);
  const rootModel: PciControllerModel | undefined = pcieRoot ? 'pcie-root' : family === 'pc' ? 'pci-root' : undefined;
  if (rootModel && root && root.pci!.model !== rootModel) {
    throw new LibvirtError(
      `XML error: The PCI controller with index='0' must be model='${rootModel}' for this machine type, but model='${root.pci!.model}' was found instead`,
    );
  }
  if (rootModel && !root) {
    insertController(controllers, { group: 'controller', what: `<controller type='pci' model='${rootModel}'>`, type: 'pci', index: 0, model: rootModel, info: { flags: 0 }, pci: { model: rootModel } });
  }
  if (x86 && family && !controllerOf('usb', 0)) {
    insertController(controllers, { group: 'controller', what: "<controller type='usb'>", type: 'usb', index: 0, info: { flags: 0 } });
  }
  const virtioConsole = [...asArray(devs.channel), ...asArray(devs.console)].some((c) => attr(child(c, 'target'), 'type') === 'virtio');
  if (virtioConsole && !controllers.some((c) => c.type === 'virtio-serial')) {
    insertController(controllers, { group: 'controller', what: "<controller type='virtio-serial'>", type: 'virtio-serial', index: 0, info: { flags: 0 } });
  }
  for (const c of controllers) {
    const flags = controllerFlags(c, family, pcieFlags, pciFlags, virtio);
    (c.info as DeviceInfo).flags = flags;
    if (c.type === 'usb' && /^ich9-(ehci1|uhci[123])$/.test(c.model ?? '')) {
      const fn = { 'ich9-ehci1': 7, 'ich9-uhci1': 0, 'ich9-uhci2': 1, 'ich9-uhci3': 2 }[c.model!]!;
      (c as { usb2?: PciDevice['usb2'] }).usb2 = { index: c.index, fn, multi: fn === 0 ? true : undefined };
    }
    devices.push(c);
  }

  for (const fs of asArray(devs.filesystem)) {
    const driver = attr(child(fs, 'driver'), 'type');
    const ok = driver === undefined || driver === 'path' || driver === 'handle' || driver === 'virtiofs';
    add('fs', '<filesystem>', fs, ok ? virtio(attr(fs, 'model')) : 0);
  }
  const hostdevs: Hostdev[] = [];
  for (const [i, net] of asArray(devs.interface).entries()) {
    const type = attr(net, 'type');
    if (type === 'hostdev') {
      const src = child(child(net, 'source'), 'address');
      hostdevs.push(hostdev(net, src, `<interface type='hostdev'> #${i + 1}`, pcieFlags, notes));
      continue;
    }
    const model = attr(child(net, 'model'), 'type') ?? (family === 'virt' ? 'virtio' : 'rtl8139');
    const flags =
      model === 'virtio' || model === 'virtio-non-transitional' ? pcieFlags
      : model === 'virtio-transitional' ? pciFlags
      : model === 'e1000e' || model === 'igb' ? pcieFlags
      : model === 'usb-net' ? 0
      : pciFlags;
    add('net', `<interface model='${model}'>`, net, flags);
  }
  for (const s of asArray(devs.sound)) {
    const model = attr(s, 'model') ?? '';
    add('sound', `<sound model='${model}'>`, s, ['es1370', 'ac97', 'ich6', 'ich9'].includes(model) ? pciFlags : 0);
  }
  for (const d of asArray(devs.disk)) {
    const bus = attr(child(d, 'target'), 'bus');
    add('disk', `<disk bus='${bus ?? ''}'>`, d, bus === 'virtio' ? virtio(attr(d, 'model')) : 0);
  }
  for (const [i, h] of asArray(devs.hostdev).entries()) {
    const type = attr(h, 'type');
    const mode = attr(h, 'mode') ?? 'subsystem';
    const what = `<hostdev type='${type ?? ''}'> #${i + 1}`;
    if (mode === 'subsystem' && type === 'pci') {
      hostdevs.push(hostdev(h, child(child(h, 'source'), 'address'), what, pcieFlags, notes, attr(child(h, 'driver'), 'name')));
    } else if (mode === 'subsystem' && (type === 'scsi_host' || type === 'mdev')) {
      notes.push(`${what}: takes a PCI slot, not modelled`);
      add('hostdev', what, h, pcieFlags);
    } else {
      notes.push(`ignored ${what}`);
    }
  }
  for (const h of hostdevs) devices.push(h);
  const balloon = asArray(devs.memballoon)[0];
  const balloonModel = balloon ? attr(balloon, 'model') : x86 && family ? 'virtio' : undefined;
  if (balloonModel && balloonModel !== 'none' && balloonModel !== 'xen') {
    add('memballoon', `<memballoon model='${balloonModel}'>`, balloon ?? {}, virtio(balloonModel));
  }
  for (const r of asArray(devs.rng)) add('rng', '<rng>', r, virtio(attr(r, 'model')));
  for (const w of asArray(devs.watchdog)) add('watchdog', `<watchdog model='${attr(w, 'model') ?? ''}'>`, w, attr(w, 'model') === 'i6300esb' ? pciFlags : 0);
  // virDomainDefAddImplicitVideo: graphics without a video get the default one
  const videos = asArray(devs.video);
  if (videos.length === 0 && asArray(devs.graphics).length > 0) videos.push({});
  for (const v of videos) {
    const type = attr(child(v, 'model'), 'type') ?? (family === 'virt' ? 'virtio' : 'cirrus');
    const flags = type === 'virtio' ? pcieFlags : type === 'bochs' ? pcieFlags : ['vga', 'cirrus', 'vmvga', 'qxl'].includes(type) ? pciFlags : 0;
    add('video', `<video model='${type}'>`, v, flags);
  }
  for (const s of asArray(devs.shmem)) add('shmem', '<shmem>', s, pciFlags);
  for (const inp of asArray(devs.input)) add('input', `<input bus='${attr(inp, 'bus') ?? ''}'>`, inp, attr(inp, 'bus') === 'virtio' ? virtio(attr(inp, 'model')) : 0);
  for (const s of asArray(devs.serial)) add('serial', '<serial>', s, attr(child(s, 'target'), 'type') === 'pci-serial' ? pciFlags : 0);

  const iommus: Iommu[] = [];
  asArray(devs.iommu).forEach((io, i) => {
    const model = attr(io, 'model');
    if (model !== 'intel' && model !== 'smmuv3' && model !== 'virtio') {
      throw new BadDomain(`<iommu model='${model ?? ''}'> (#${i + 1}) is not an IOMMU model viommu reads (intel, smmuv3, virtio)`);
    }
    const drv = child(io, 'driver');
    const driver: Record<string, string> = {};
    for (const k of Object.keys(drv ?? {})) if (k.startsWith('@_')) driver[k.slice(2)] = String(drv![k]);
    const what = `<iommu model='${model}'>`;
    validateIommu(model, driver, family, attr(child(io, 'address'), 'type'));
    const flags = model === 'virtio' ? pcieFlags | CONNECT.INTEGRATED : 0;
    const d: Iommu = { group: 'iommu', what, model, driver, granule: attr(child(drv, 'granule'), 'mode'), info: { flags, ...(flags ? readAddress(io, what) : {}) } };
    iommus.push(d);
    devices.push(d);
  });
  // qemuDomainDefAddDefaultDevices / qemuDomainIOMMUDefPostParse: over 255 vCPUs a q35 guest needs EIM
  if (x86 && family === 'q35' && vcpus > MAX_VCPUS_WITHOUT_EIM) {
    if (iommus.length === 0) {
      iommus.push({ group: 'iommu', what: "<iommu model='intel'>", model: 'intel', driver: { intremap: 'on', eim: 'on' }, info: { flags: 0 } });
      notes.push(`libvirt adds <iommu model='intel'><driver intremap='on' eim='on'/> for ${vcpus} vCPUs`);
    } else if (iommus[0]!.model === 'intel') {
      const d = iommus[0]!.driver as Record<string, string>;
      d.intremap ??= 'on';
      d.eim ??= 'on';
    }
  }
  // qemuDomainDefEnableDefaultFeatures: interrupt remapping needs the split I/O APIC
  if (iommus.length === 1 && (iommus[0]!.driver.intremap === 'on' || (x86 && family === 'q35' && vcpus > MAX_VCPUS_WITHOUT_EIM)) && !ioapic) {
    ioapic = 'qemu';
  }
  for (const v of asArray(devs.vsock)) add('vsock', '<vsock>', v, virtio(attr(v, 'model')));
  for (const m of asArray(devs.memory)) {
    const model = attr(m, 'model');
    add('memory', `<memory model='${model ?? ''}'>`, m, model === 'virtio-pmem' || model === 'virtio-mem' ? pcieFlags : 0);
  }
  for (const c of asArray(devs.crypto)) add('crypto', '<crypto>', c, pciFlags);
  for (const p of asArray(devs.panic)) add('panic', `<panic model='${attr(p, 'model') ?? ''}'>`, p, attr(p, 'model') === 'pvpanic' ? pciFlags | CONNECT.INTEGRATED : 0);

  return { virtType: attr(dom, 'type'), arch, machine, family, ioapic, gicVersion, controllers, iommus, hostdevs, devices, notes };
}

/** libvirt's `<iommu><driver>` attributes of the Intel model (`virDomainIOMMUDefParseXML`). */
const INTEL_ATTRS = ['intremap', 'caching_mode', 'eim', 'iotlb', 'dma_translation'] as const;

/**
 * The checks libvirt makes of an `<iommu>` before QEMU runs: its attribute values
 * (`virDomainIOMMUDefParseXML`), the attributes other models refuse (`virDomainIOMMUDefValidate`),
 * where a virtio-iommu may be (`qemuValidateDomainDeviceDefIOMMU`).
 * @throws LibvirtError with libvirt's message; BadDomain for a value libvirt cannot parse.
 */
function validateIommu(model: IommuModel, driver: Readonly<Record<string, string>>, family: Domain['family'], addressType: string | undefined): void {
  for (const a of INTEL_ATTRS) {
    const v = driver[a];
    if (v !== undefined && v !== 'on' && v !== 'off') throw new BadDomain(`<iommu model='${model}'><driver ${a}='${v}'>: libvirt takes 'on' or 'off'`);
  }
  const aw = driver.aw_bits;
  if (aw !== undefined && !/^[0-9]+$/.test(aw)) throw new BadDomain(`<iommu model='${model}'><driver aw_bits='${aw}'>: not a number`);
  if (model !== 'intel' && (INTEL_ATTRS.some((a) => driver[a] !== undefined) || (model === 'smmuv3' && aw !== undefined))) {
    throw new LibvirtError(`XML error: iommu model '${model}' doesn't support some additional attributes`);
  }
  if (model === 'virtio') {
    if (family !== 'q35' && family !== 'virt') {
      throw new LibvirtError("unsupported configuration: IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines");
    }
    if (addressType !== undefined && addressType !== 'pci') throw new LibvirtError("unsupported configuration: IOMMU device: 'virtio' needs a PCI address");
  }
}

/** `virDomainControllerInsertPreAlloced`: after the last controller of its type with a lower index. */
export function insertController(list: Controller[], c: Controller): void {
  let at = -1;
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i]!.type !== c.type) continue;
    if (list[i]!.index > c.index) at = i;
    else if (at === -1) {
      at = i + 1;
      break;
    }
  }
  if (at === -1) list.push(c);
  else list.splice(at, 0, c);
}

/** `qemuDomainDeviceCalculatePCIConnectFlags` for `<controller>`. */
function controllerFlags(
  c: Controller,
  family: Domain['family'],
  pcieFlags: number,
  pciFlags: number,
  virtio: (model: string | undefined) => number,
): number {
  switch (c.type) {
    case 'pci':
      return 0; // placed by the PCI controller pass with their own connect type
    case 'sata':
      return family === 'q35' && c.index === 0 ? 0 : pciFlags;
    case 'ide':
      return family === 'pc' && c.index === 0 ? 0 : pciFlags;
    case 'usb': {
      // qemuDomainDefaultUSBControllerModel: piix3-uhci on pc, qemu-xhci on q35 and virt
      const model = c.model ?? (family === 'pc' ? 'piix3-uhci' : 'qemu-xhci');
      if (model === 'none') return 0;
      if (family === 'pc' && c.index === 0 && model === 'piix3-uhci') return 0;
      return model === 'qemu-xhci' || model === 'nec-xhci' ? pcieFlags : pciFlags;
    }
    case 'scsi':
      return c.model === 'virtio-scsi' || c.model === 'virtio-non-transitional' ? pcieFlags : c.model === 'ncr53c90' ? 0 : pciFlags;
    case 'virtio-serial':
      return virtio(c.model);
    default:
      return 0;
  }
}

/** A vfio `<hostdev>`: `<driver name>` must be vfio (`qemuBuildPCIHostdevDevProps`). */
function hostdev(node: Node, src: Node | undefined, what: string, flags: number, notes: string[], driverName?: string): Hostdev {
  if (!src) throw new BadDomain(`${what} has no <source><address>`);
  if (driverName !== undefined && driverName !== 'vfio') throw new LibvirtError(`internal error: invalid PCI passthrough type '${driverName}'`);
  const hex = (k: string, w: number) => (number(src, k, `${what} <source><address>`) ?? 0).toString(16).padStart(w, '0');
  const host = `${hex('domain', 4)}:${hex('bus', 2)}:${hex('slot', 2)}.${number(src, 'function', `${what} <source><address>`) ?? 0}`;
  const addr = readAddress(node, what);
  const unassigned = attr(child(node, 'address'), 'type') === 'unassigned';
  if (unassigned) notes.push(`${what} (${host}): <address type='unassigned'/>, not on the command line`);
  const iommufd = attr(child(node, 'driver'), 'iommufd') === 'yes';
  return { group: 'hostdev', what, host, iommufd, unassigned, info: { flags, ...addr } };
}
