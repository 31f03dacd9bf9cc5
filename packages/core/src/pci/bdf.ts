import { InputError, QemuError } from '../errors.js';

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

/**
 * One `%x` conversion of glibc's `sscanf`: blanks, a sign, hex digits after an optional `0x`
 * (a bare `0x` reads as 0, as QEMU 7.2 takes `addr=0x`), saturated at `ULONG_MAX` as `strtoul`
 * does and then cut to `unsigned int`.
 */
const ULONG_MAX = 0xffffffffffffffffn;
const SCANF_X = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]*)|([0-9a-fA-F]+))/;

function scanHex(text: string): { value: number; rest: string } | undefined {
  const m = SCANF_X.exec(text);
  if (!m) return undefined;
  const read = BigInt(`0x0${m[2] ?? m[3]}`);
  const v = (read > ULONG_MAX ? ULONG_MAX : read) & 0xffffffffn;
  return { value: Number(m[1] === '-' ? -v & 0xffffffffn : v), rest: text.slice(m[0].length) };
}

/**
 * A `-device …,addr=` value as `set_pci_devfn` (hw/core/qdev-properties-system.c) reads it:
 * `sscanf("%x.%x")`, else `sscanf("%x")` with function 0, nothing may follow, slot ≤ 0x1f and
 * function ≤ 7. So `1`, `0x1f`, `2.3`, `0x2.0x3` and ` 2. 3` are all taken.
 * @throws QemuError `Property '<type>.addr' doesn't take value '<text>'` (option parsing).
 */
export function parsePciDevfn(typeName: string, text: string): number {
  const slot = scanHex(text);
  const fn = slot?.rest.startsWith('.') ? scanHex(slot.rest.slice(1)) : undefined;
  const end = fn ?? slot;
  if (!slot || !end || end.rest !== '' || slot.value > 0x1f || (fn?.value ?? 0) > 7) {
    throw new QemuError(`Property '${typeName}.addr' doesn't take value '${text}'`, 'option-parse');
  }
  return PCI_DEVFN(slot.value, fn?.value ?? 0);
}
