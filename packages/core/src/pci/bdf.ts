import { InputError } from '../errors.js';

/** A host PCI address (`PCIHostDeviceAddress`): `domain:bus:slot.function`. */
export interface PciHostAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly function: number;
}

const BDF_RE = /^(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/;

/**
 * Parses `0000:17:00.0` (or `17:00.0`, domain 0) as QEMU's `host=` property does.
 * @throws InputError naming the text and `where`.
 */
export function parseBdf(text: string, where = 'PCI address'): PciHostAddress {
  const m = BDF_RE.exec(text.trim());
  if (!m) throw new InputError(`'${text}' is not a PCI address (expected DDDD:BB:SS.F, e.g. 0000:17:00.0)`, where);
  const slot = parseInt(m[3]!, 16);
  if (slot > 0x1f) throw new InputError(`'${text}': slot ${m[3]} is above 1f`, where);
  return { domain: m[1] ? parseInt(m[1], 16) : 0, bus: parseInt(m[2]!, 16), slot, function: parseInt(m[4]!, 10) };
}

/** `0000:17:00.0`: the canonical form the kernel and VFIO print. */
export function formatBdf(a: PciHostAddress): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${a.function}`;
}

/** `PCI_DEVFN(slot, func)`. */
export function PCI_DEVFN(slot: number, fn: number): number {
  return ((slot & 0x1f) << 3) | (fn & 0x07);
}
export function PCI_SLOT(devfn: number): number {
  return (devfn >> 3) & 0x1f;
}
export function PCI_FUNC(devfn: number): number {
  return devfn & 0x07;
}

/** `xx.y` as QEMU prints a devfn. */
export function formatDevfn(devfn: number): string {
  return `${PCI_SLOT(devfn).toString(16).padStart(2, '0')}.${PCI_FUNC(devfn)}`;
}
