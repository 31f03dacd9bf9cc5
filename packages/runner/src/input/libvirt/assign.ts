import { SLOT_GROUPS, type Controller, type Domain, type PciDevice } from './domain.js';
import { CONNECT, controllerConnectFlags, LibvirtError, PciAddressSet, wantsAddress, type PciAddress, type PciControllerModel } from './pci-address.js';

const sameSlot = (a: PciAddress, b: PciAddress) => a.bus === b.bus && a.slot === b.slot;

/** `qemuDomainPCIAddressSetCreate`: buses from the PCI controllers, then every address the XML gives. */
function createSet(domain: Domain, nbuses: number, dryRun: boolean): PciAddressSet {
  const models: (PciControllerModel | undefined)[] = Array.from({ length: nbuses }, () => undefined);
  for (const c of domain.controllers) {
    if (!c.pci) continue;
    if (c.index >= nbuses) throw new LibvirtError(`internal error: Inappropriate new pci controller index ${c.index} exceeds addrs array length`);
    models[c.index] = c.pci.model;
  }
  const set = new PciAddressSet(models, dryRun);
  for (const d of domain.devices) {
    if (d.info.addr && d.info.flags) set.reserve({ ...d.info.addr }, d.info.flags, true);
  }
  return set;
}

/** `qemuDomainValidateDevicePCISlotsPIIX3` / `…Q35`: the chipset's own functions and the primary video's slot. */
function reserveChipset(domain: Domain, set: PciAddressSet): void {
  // the primary video is the first <video>, unless it is none or ramfb (no PCI device)
  const video = domain.devices.find((d) => d.group === 'video');
  const placeVideo = (slot: number, flags: number) => {
    if (!video || !wantsAddress(video.info)) return;
    const a = { bus: 0, slot, fn: 0 };
    if (set.inUse(a)) set.reserveNext(video.info);
    else {
      set.reserve(a, flags, true);
      video.info.addr = a;
    }
  };
  if (domain.family === 'pc') {
    const ide = domain.controllers.some((c) => c.type === 'ide' && c.index === 0);
    const usb = domain.controllers.some((c) => c.type === 'usb' && c.index === 0 && (c.model ?? 'piix3-uhci') === 'piix3-uhci');
    for (const fn of [0, ...(ide ? [1] : []), ...(usb ? [2] : []), 3]) set.reserve({ bus: 0, slot: 1, fn }, CONNECT.PCI_DEVICE, true);
    placeVideo(2, CONNECT.PCI_DEVICE | CONNECT.AUTOASSIGN);
  } else if (domain.family === 'q35') {
    for (const c of domain.controllers) {
      if (c.type === 'usb' && c.model === 'ich9-uhci1' && !c.info.addr) {
        const slot = [0x1d, 0x1a].find((s) => !set.inUse({ bus: 0, slot: s, fn: 0 }));
        if (slot !== undefined) {
          set.reserve({ bus: 0, slot, fn: 0 }, CONNECT.PCIE_DEVICE, true);
          c.info.addr = { bus: 0, slot, fn: 0, multi: true };
        }
      } else if (c.pci?.model === 'dmi-to-pci-bridge' && !c.info.addr && !set.inUse({ bus: 0, slot: 0x1e, fn: 0 })) {
        set.reserve({ bus: 0, slot: 0x1e, fn: 0 }, CONNECT.PCIE_DEVICE, true);
        c.info.addr = { bus: 0, slot: 0x1e, fn: 0 };
      }
    }
    set.reserve({ bus: 0, slot: 0x1f, fn: 0 }, CONNECT.PCIE_DEVICE, true);
    set.reserve({ bus: 0, slot: 0x1f, fn: 3 }, CONNECT.PCIE_DEVICE, true);
    placeVideo(1, CONNECT.PCIE_DEVICE);
  }
}

/** `qemuDomainAssignDevicePCISlots`: PCI controllers first, then the device groups in libvirt's order. */
function assignSlots(domain: Domain, set: PciAddressSet): void {
  for (const c of pciControllers(domain)) {
    if (c.pci!.model !== 'pci-root' && c.pci!.model !== 'pcie-root' && wantsAddress(c.info)) set.reserveNext(c.info);
  }
  for (const group of SLOT_GROUPS) {
    for (const d of domain.devices) {
      if (d.group !== group || (d as Controller).pci || !wantsAddress(d.info)) continue;
      if (d.usb2) reserveUsb2(domain, set, d);
      else set.reserveNext(d.info);
    }
  }
}

/** USB2 companions share one slot: EHCI at function 7, UHCI 1–3 at 0–2. */
function reserveUsb2(domain: Domain, set: PciAddressSet, d: PciDevice): void {
  const placed = domain.devices.find((o) => o.usb2?.index === d.usb2!.index && o.info.addr);
  if (placed) {
    const a = { ...placed.info.addr!, fn: d.usb2!.fn, multi: d.usb2!.multi };
    set.reserve(a, d.info.flags, false);
    if (!set.dryRun) d.info.addr = a;
  } else {
    const a = set.reserveNext(d.info, d.info.flags, d.usb2!.fn);
    if (!set.dryRun) d.info.addr = { ...a, multi: d.usb2!.multi };
  }
}

const pciControllers = (domain: Domain): Controller[] => domain.controllers.filter((c) => c.pci).sort((a, b) => a.index - b.index);

/**
 * `qemuDomainAssignPCIAddresses`: a dry run that finds how many buses the devices need (adding
 * a `pcie-root-port`, or a `pci-bridge`, per missing bus, and one spare root port for hotplug on
 * a new pcie-root guest), then the real assignment, then each controller's defaults (`chassis`
 * = index, `port` = slot << 3 | function) and `multifunction` on function 0 of shared slots.
 * Fills in `info.addr` of every device that takes a PCI slot and appends the added controllers.
 * @throws LibvirtError with libvirt's message when the addresses cannot be assigned.
 */
export function assignPciAddresses(domain: Domain): void {
  for (const c of domain.controllers) if (c.pci) c.info.flags = controllerConnectFlags(c.pci.model);
  const maxIndex = Math.max(-1, ...domain.controllers.filter((c) => c.pci).map((c) => c.index));
  if (maxIndex < 0) return;
  const dry = createSet(domain, maxIndex + 1, true);
  reserveChipset(domain, dry);
  if (domain.family === 'pc' && !dry.buses.every((b) => b.isFullyReserved())) {
    dry.reserveNext({ flags: CONNECT.AUTOASSIGN | CONNECT.PCI_DEVICE });
  }
  assignSlots(domain, dry);
  if (maxIndex <= 0 && dry.buses.length > maxIndex + 1 && dry.buses[0]!.model === 'pcie-root') {
    dry.reserveNext({ flags: CONNECT.AUTOASSIGN | CONNECT.PCIE_DEVICE });
  }
  const present = new Set(domain.controllers.filter((c) => c.pci).map((c) => c.index));
  for (let i = 1; i < dry.buses.length; i++) {
    if (present.has(i)) continue;
    const model = dry.buses[i]!.model;
    const c: Controller = {
      group: 'controller',
      what: `<controller type='pci' index='${i}' model='${model}'> (added by libvirt)`,
      type: 'pci',
      index: i,
      model,
      info: { flags: controllerConnectFlags(model) },
      pci: { model },
    };
    domain.controllers.push(c);
    domain.devices.push(c);
    dry.reserveNext(c.info);
  }

  const set = createSet(domain, dry.buses.length, false);
  reserveChipset(domain, set);
  assignSlots(domain, set);
  // virDomainPCIAddressSetAllMulti
  for (const d of domain.devices) {
    const a = d.info.addr;
    if (!a || a.fn === 0) continue;
    const f0 = domain.devices.find((o) => o.info.addr && sameSlot(o.info.addr, a) && o.info.addr.fn === 0);
    if (f0 && f0.info.addr!.multi === undefined) f0.info.addr!.multi = true;
  }
  for (const c of pciControllers(domain)) {
    const o = c.pci!;
    const a = c.info.addr;
    if (o.model === 'pci-bridge') {
      o.chassisNr ??= c.index;
      if (a && c.index <= a.bus) {
        throw new LibvirtError(
          `unsupported configuration: PCI controller at index ${c.index} (0x${c.index.toString(16).padStart(2, '0')}) has bus='0x${a.bus.toString(16).padStart(2, '0')}', but index must be larger than bus`,
        );
      }
    } else if ((o.model === 'pcie-root-port' || o.model === 'pcie-switch-downstream-port') && a) {
      o.chassis ??= c.index;
      o.port ??= o.model === 'pcie-root-port' ? (a.slot << 3) + a.fn : a.slot;
    }
  }
}
