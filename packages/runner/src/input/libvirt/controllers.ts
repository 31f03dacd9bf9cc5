import type { ConnectFlags } from './connect.js';
import type { Controller, PciDevice } from './domain.js';
import { LibvirtError, type PciControllerModel } from './pci-address.js';
import { asArray, attr, BadDomain, child, number, readAddress, type Node } from './xml.js';

const PCI_MODELS: readonly PciControllerModel[] = [
  'pci-root', 'pcie-root', 'pci-bridge', 'dmi-to-pci-bridge', 'pcie-root-port', 'pcie-switch-upstream-port',
  'pcie-switch-downstream-port', 'pci-expander-bus', 'pcie-expander-bus', 'pcie-to-pci-bridge',
];

/** USB2 companion controllers and the function each takes in their shared slot. */
const USB2_FUNCTIONS: Readonly<Record<string, number>> = { 'ich9-ehci1': 7, 'ich9-uhci1': 0, 'ich9-uhci2': 1, 'ich9-uhci3': 2 };

/** `virDomainControllerInsertPreAlloced`: after the last controller of its type with a lower index. */
function insertController(list: Controller[], c: Controller): void {
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

/** One `<controller>` (`virDomainControllerDefParseXML`). */
function readController(c: Node, n: number): Controller {
  const type = attr(c, 'type') ?? '';
  const index = number(c, 'index', `<controller type='${type}'>`) ?? 0;
  const model = attr(c, 'model');
  const what = `<controller type='${type}' index='${index}'${model ? ` model='${model}'` : ''}>`;
  const info = { flags: 0, ...readAddress(c, what) };
  if (type !== 'pci') return { group: 'controller', what, type, index, model, info };
  if (!model || !PCI_MODELS.includes(model as PciControllerModel)) {
    throw new BadDomain(`<controller type='pci'${model ? ` model='${model}'` : ''}> (#${n}) is not a PCI controller model libvirt has`);
  }
  const target = child(c, 'target');
  const hotplug = attr(target, 'hotplug');
  const alias = attr(child(c, 'alias'), 'name');
  const pci: NonNullable<Controller['pci']> = {
    model: model as PciControllerModel,
    modelName: attr(child(c, 'model'), 'name'),
    chassis: number(target, 'chassis', what),
    port: number(target, 'port', what),
    chassisNr: number(target, 'chassisNr', what),
    busNr: number(target, 'busNr', what),
    hotplug: hotplug === undefined ? undefined : hotplug === 'on',
    alias: alias?.startsWith('ua-') ? alias : undefined,
  };
  return { group: 'controller', what, type, index, model, info, pci };
}

const implicit = (type: string, model?: PciControllerModel): Controller => ({
  group: 'controller',
  what: `<controller type='${type}'${model ? ` model='${model}'` : ''}>`,
  type,
  index: 0,
  model,
  info: { flags: 0 },
  ...(model ? { pci: { model } } : {}),
});

/**
 * The domain's controllers in libvirt's order, with the ones libvirt adds
 * (`qemuDomainDefAddDefaultDevices`: the root bus, the default USB controller on x86;
 * `virDomainDefAddImplicitControllers`: virtio-serial for a virtio console or channel) and
 * their connect flags (the default USB model: piix3-uhci on pc, qemu-xhci on q35 and virt).
 * @throws LibvirtError when the root controller does not fit the machine.
 */
export function readControllers(devs: Node, flags: ConnectFlags, x86: boolean): Controller[] {
  const controllers: Controller[] = [];
  asArray(devs.controller).forEach((c, i) => insertController(controllers, readController(c, i + 1)));
  const family = flags.family;
  const rootModel: PciControllerModel | undefined = family === 'q35' || family === 'virt' ? 'pcie-root' : family === 'pc' ? 'pci-root' : undefined;
  const root = controllers.find((c) => c.pci && c.index === 0);
  if (rootModel && root && root.pci!.model !== rootModel) {
    throw new LibvirtError(
      `XML error: The PCI controller with index='0' must be model='${rootModel}' for this machine type, but model='${root.pci!.model}' was found instead`,
    );
  }
  if (rootModel && !root) insertController(controllers, implicit('pci', rootModel));
  if (x86 && family && !controllers.some((c) => c.type === 'usb' && c.index === 0)) insertController(controllers, implicit('usb'));
  const virtioConsole = [...asArray(devs.channel), ...asArray(devs.console)].some((c) => attr(child(c, 'target'), 'type') === 'virtio');
  if (virtioConsole && !controllers.some((c) => c.type === 'virtio-serial')) insertController(controllers, implicit('virtio-serial'));
  return controllers.map((c) => {
    if (c.pci) return c;
    const model = c.type === 'usb' ? (c.model ?? (family === 'pc' ? 'piix3-uhci' : 'qemu-xhci')) : c.model;
    const fn = c.type === 'usb' && model ? USB2_FUNCTIONS[model] : undefined;
    const usb2: PciDevice['usb2'] = fn === undefined ? undefined : { index: c.index, fn, multi: fn === 0 ? true : undefined };
    return { ...c, info: { ...c.info, flags: flags.controller(c.type, c.index, model) }, ...(usb2 ? { usb2 } : {}) };
  });
}
