import {
  parsePciDevfn,
  parsePropertyValue,
  QemuError,
  resolveProperties,
  type MachineContext,
  type OptionPair,
  type PCIBus,
  type PropertyDecl,
  type PropertyValue,
} from '@viommu/core';
import { LEN_RESERVED_REGIONS, READONLY_PROPERTIES } from './properties.js';
import { parseReservedRegion, type ReservedRegion } from './reserved-regions.js';

/** The `-device` options of a virtio-iommu, parsed as QEMU sets them. */
export interface VirtioIommuOptions {
  /** Every QOM property, resolved (class default, machine compat, `-global`, options). */
  readonly props: Record<string, PropertyValue>;
  /** `addr=` as a devfn; undefined when not given (`-1`: first free slot). */
  readonly devfn?: number;
  /** 7.2 `reserved-regions[i]` values given on the command line. */
  readonly reservedRegions: readonly ReservedRegion[];
}

/** `-global <type>.<prop>=<value>`, checked as `qdev_prop_set_globals` does before the options. */
function checkGlobals(typeName: string, decls: readonly PropertyDecl[], globals: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(globals)) {
    const d = decls.find((x) => x.name === k);
    try {
      if (!d) throw new QemuError(`Property '${typeName}.${k}' not found`, 'option-parse');
      parsePropertyValue(d, v);
    } catch (e) {
      if (e instanceof QemuError) throw e.prepend(`can't apply global ${typeName}.${k}=${v}: `);
      throw e;
    }
  }
}

/**
 * The `primary-bus` link as `object_resolve_link` resolves it: a (partial) QOM path naming a
 * PCI bus. viommu has no QOM tree, so the last path component names the bus.
 * @throws QemuError `Device '<path>' not found`.
 */
export function resolvePrimaryBus(machine: MachineContext, path: string): PCIBus | null {
  if (path === '') return null;
  const name = path.split('/').at(-1)!;
  const bus = machine.pci.buses().find((b) => b.name === name);
  if (!bus) throw new QemuError(`Device '${path}' not found`, 'option-parse');
  return bus;
}

/**
 * Parses a virtio-iommu's `-device` options in QEMU's order: `-global`s first, then the
 * options; `addr`, the 7.2 reserved-region array and read-only children are handled here,
 * the rest by `resolveProperties`.
 * @throws QemuError (stage `option-parse`) with QEMU's message.
 */
export function parseVirtioIommuOptions(
  typeName: string,
  decls: readonly PropertyDecl[],
  machine: MachineContext,
  compat: Readonly<Record<string, string>>,
  options: readonly OptionPair[],
): VirtioIommuOptions {
  const globals = machine.globals[typeName] ?? {};
  checkGlobals(typeName, decls, globals);
  const lenDecl = decls.find((d) => d.name === LEN_RESERVED_REGIONS);
  let len = 0;
  let devfn: number | undefined;
  const regions: ReservedRegion[] = [];
  const rest: OptionPair[] = [];
  for (const { key, value } of options) {
    if (key === 'bus') continue; // qdev_device_add's, not a property
    if (key === 'addr' && decls.some((d) => d.name === 'addr')) {
      devfn = parsePciDevfn(typeName, value);
    } else if (READONLY_PROPERTIES.includes(key)) {
      throw new QemuError(`Property '${typeName}.${key}' is not writable`, 'option-parse');
    } else if (key === LEN_RESERVED_REGIONS && lenDecl) {
      len = Number(parsePropertyValue(lenDecl, value));
      rest.push({ key, value });
    } else if (/^reserved-regions\[\d+\]$/.test(key) && lenDecl) {
      const i = Number(key.slice('reserved-regions['.length, -1));
      if (i >= len) throw new QemuError(`Property '${typeName}.${key}' not found`, 'option-parse');
      regions[i] = parseReservedRegion(key, value);
    } else if (key === 'reserved-regions' && !lenDecl) {
      // 8.2+: a list property, which only JSON -device can set
      throw new QemuError("Invalid parameter type for 'reserved-regions', expected: array", 'option-parse');
    } else {
      rest.push({ key, value });
    }
  }
  const props = resolveProperties(typeName, decls, { compat, globals, given: rest }, ['id', 'bus', 'addr']);
  if (devfn !== undefined) props.addr = devfn;
  // elements not given stay zeroed, as in QEMU's array allocation
  const reservedRegions = Array.from({ length: len }, (_, i) => regions[i] ?? { start: 0n, end: 0n, type: 0 });
  return { props, devfn, reservedRegions };
}
