import type { ConnectFlags } from './connect.js';
import type { PciDevice, SlotGroup } from './domain.js';
import { CONNECT } from './pci-address.js';
import { asArray, attr, child, readAddress, type Node } from './xml.js';

/** A device element and the connect flags libvirt gives it (`qemuDomainDeviceCalculatePCIConnectFlags`). */
interface Kind {
  readonly group: SlotGroup;
  readonly element: string;
  readonly what: (n: Node, f: ConnectFlags) => string;
  readonly flags: (n: Node, f: ConnectFlags) => number;
}

const NINE_P_DRIVERS = [undefined, 'path', 'handle', 'virtiofs'];

/** The devices other than controllers, hostdevs and IOMMUs that may take a PCI slot. */
const KINDS: readonly Kind[] = [
  { group: 'fs', element: 'filesystem', what: () => '<filesystem>', flags: (n, f) => (NINE_P_DRIVERS.includes(attr(child(n, 'driver'), 'type')) ? f.virtio(attr(n, 'model')) : 0) },
  {
    group: 'net',
    element: 'interface',
    what: (n, f) => `<interface model='${netModel(n, f)}'>`,
    flags: (n, f) => (attr(n, 'type') === 'hostdev' ? 0 : f.net(netModel(n, f))),
  },
  { group: 'sound', element: 'sound', what: (n) => `<sound model='${attr(n, 'model') ?? ''}'>`, flags: (n, f) => (['es1370', 'ac97', 'ich6', 'ich9'].includes(attr(n, 'model') ?? '') ? f.pci : 0) },
  { group: 'disk', element: 'disk', what: (n) => `<disk bus='${attr(child(n, 'target'), 'bus') ?? ''}'>`, flags: (n, f) => (attr(child(n, 'target'), 'bus') === 'virtio' ? f.virtio(attr(n, 'model')) : 0) },
  { group: 'rng', element: 'rng', what: () => '<rng>', flags: (n, f) => f.virtio(attr(n, 'model')) },
  { group: 'watchdog', element: 'watchdog', what: (n) => `<watchdog model='${attr(n, 'model') ?? ''}'>`, flags: (n, f) => (attr(n, 'model') === 'i6300esb' ? f.pci : 0) },
  { group: 'shmem', element: 'shmem', what: () => '<shmem>', flags: (_, f) => f.pci },
  { group: 'input', element: 'input', what: (n) => `<input bus='${attr(n, 'bus') ?? ''}'>`, flags: (n, f) => (attr(n, 'bus') === 'virtio' ? f.virtio(attr(n, 'model')) : 0) },
  { group: 'serial', element: 'serial', what: () => '<serial>', flags: (n, f) => (attr(child(n, 'target'), 'type') === 'pci-serial' ? f.pci : 0) },
  { group: 'vsock', element: 'vsock', what: () => '<vsock>', flags: (n, f) => f.virtio(attr(n, 'model')) },
  {
    group: 'memory',
    element: 'memory',
    what: (n) => `<memory model='${attr(n, 'model') ?? ''}'>`,
    flags: (n, f) => (['virtio-pmem', 'virtio-mem'].includes(attr(n, 'model') ?? '') ? f.pcie : 0),
  },
  { group: 'crypto', element: 'crypto', what: () => '<crypto>', flags: (_, f) => f.pci },
  { group: 'panic', element: 'panic', what: (n) => `<panic model='${attr(n, 'model') ?? ''}'>`, flags: (n, f) => (attr(n, 'model') === 'pvpanic' ? f.pci | CONNECT.INTEGRATED : 0) },
];

/** `qemuDomainDefaultNetModel`: virtio on virt, rtl8139 (the first QEMU has) on x86. */
function netModel(n: Node, f: ConnectFlags): string {
  return attr(child(n, 'model'), 'type') ?? (f.family === 'virt' ? 'virtio' : 'rtl8139');
}

const device = (group: SlotGroup, what: string, n: Node, flags: number): PciDevice => ({ group, what, info: { flags, ...(flags ? readAddress(n, what) : {}) } });

/**
 * The other devices that take PCI slots, with libvirt's defaults: a virtio memballoon on x86
 * unless `<memballoon model='none'/>` (`qemuDomainDefAddDefaultDevices`), a video device for
 * graphics without one (`virDomainDefAddImplicitVideo`, cirrus on x86, virtio on virt).
 */
export function readOtherDevices(devs: Node, flags: ConnectFlags, x86: boolean): PciDevice[] {
  const out = KINDS.flatMap((k) => asArray(devs[k.element]).flatMap((n) => (k.group === 'net' && attr(n, 'type') === 'hostdev' ? [] : [device(k.group, k.what(n, flags), n, k.flags(n, flags))])));
  const balloon = asArray(devs.memballoon)[0];
  const balloonModel = balloon ? attr(balloon, 'model') : x86 && flags.family ? 'virtio' : undefined;
  if (balloonModel && balloonModel !== 'none' && balloonModel !== 'xen') {
    out.push(device('memballoon', `<memballoon model='${balloonModel}'>`, balloon ?? {}, flags.virtio(balloonModel)));
  }
  const videos = asArray(devs.video);
  if (videos.length === 0 && asArray(devs.graphics).length > 0) videos.push({});
  for (const v of videos) {
    const type = attr(child(v, 'model'), 'type') ?? (flags.family === 'virt' ? 'virtio' : 'cirrus');
    out.push(device('video', `<video model='${type}'>`, v, flags.video(type)));
  }
  return out;
}
