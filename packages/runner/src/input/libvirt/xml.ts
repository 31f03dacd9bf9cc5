import type { DeviceInfo, PciAddress } from './pci-address.js';
import { LibvirtError, pciAddressString } from './pci-address.js';

/** A parsed XML element (fast-xml-parser: attributes as `@_name`, text as `#text`). */
export type Node = Record<string, unknown>;

/** The domain XML holds something viommu cannot read; libvirt.ts adds the file name. */
export class BadDomain extends Error {}

/** The elements of a repeated child (fast-xml-parser gives one element as an object). */
export const asArray = (v: unknown): Node[] => (v === undefined ? [] : Array.isArray(v) ? (v as Node[]) : [v as Node]);

export const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.[`@_${name}`];
  return v === undefined ? undefined : String(v);
};

/** The first `<name>` child (an empty element is `{}`). */
export const child = (n: Node | undefined, name: string): Node | undefined => {
  const v = n?.[name];
  if (Array.isArray(v)) return child({ [name]: v[0] }, name);
  return v !== null && typeof v === 'object' ? (v as Node) : v === '' ? {} : undefined;
};

/** The text of an element that may carry attributes (`<vcpu placement='static'>4</vcpu>`). */
export const text = (v: unknown): string | undefined => {
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  return typeof first === 'object' ? ((first as Node)['#text'] as string | undefined) : String(first);
};

/** A libvirt number attribute (`virStrToLong_uip`: decimal, or hex with `0x`). @throws BadDomain */
export function number(n: Node | undefined, name: string, what: string): number | undefined {
  const s = attr(n, name);
  if (s === undefined) return undefined;
  const v = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^[0-9]+$/.test(s) ? parseInt(s, 10) : NaN;
  if (!Number.isSafeInteger(v)) throw new BadDomain(`${what}: ${name}='${s}' is not a number`);
  return v;
}

/**
 * A device's `<address>` (`virPCIDeviceAddressParseXML`): a PCI one, none (an all-zero PCI
 * address also means "assign one"), or another type (virtio-mmio, ccw, unassigned…).
 * @throws BadDomain for a value out of range; LibvirtError for a PCI domain other than 0.
 */
export function readAddress(dev: Node, what: string): Pick<DeviceInfo, 'addr' | 'otherAddress'> {
  const a = child(dev, 'address');
  if (!a) return {};
  if (attr(a, 'type') !== 'pci') return { otherAddress: true };
  const at = `${what} <address>`;
  const domain = number(a, 'domain', at) ?? 0;
  const addr: PciAddress = { bus: number(a, 'bus', at) ?? 0, slot: number(a, 'slot', at) ?? 0, fn: number(a, 'function', at) ?? 0 };
  const multi = attr(a, 'multifunction');
  if (multi === 'on' || multi === 'off') addr.multi = multi === 'on';
  if (addr.bus > 0xff) throw new BadDomain(`${at}: bus='0x${addr.bus.toString(16)}' is out of range (0..0xff)`);
  if (addr.slot > 0x1f) throw new BadDomain(`${at}: slot='0x${addr.slot.toString(16)}' is out of range (0..0x1f)`);
  if (addr.fn > 7) throw new BadDomain(`${at}: function='${addr.fn}' is out of range (0..7)`);
  if (domain === 0 && addr.bus === 0 && addr.slot === 0 && addr.fn === 0) return {};
  if (domain !== 0) throw new LibvirtError(`XML error: Invalid PCI address ${pciAddressString(addr).replace(/^0000/, domain.toString(16).padStart(4, '0'))}. Only PCI domain 0 is available`);
  return { addr };
}
