import {
  createAddressSpaceMemory,
  PCITopology,
  QemuError,
  type Accel,
  type MachineContext,
  type ProfileId,
} from '@viommu/core';
import type { BoardDevices, MachineOption } from '../input/vm-config.js';

/** A QEMU target (`qemu-system-<arch>`). */
export type Arch = 'x86_64' | 'aarch64';

/** A machine family viommu builds: its target, root bus, versioned type prefix. */
interface MachineFamily {
  readonly arch: Arch;
  /** Versioned type names are `<prefix><major>.<minor>` (`pc-q35-9.1`). */
  readonly prefix: string;
  readonly rootBus: string;
  readonly express: boolean;
}

/** `hw/i386/pc_q35.c`, `hw/i386/pc_piix.c`, `hw/arm/virt.c`. */
const FAMILIES: Readonly<Record<string, MachineFamily>> = {
  q35: { arch: 'x86_64', prefix: 'pc-q35-', rootBus: 'pcie.0', express: true },
  pc: { arch: 'x86_64', prefix: 'pc-i440fx-', rootBus: 'pci.0', express: false },
  virt: { arch: 'aarch64', prefix: 'virt-', rootBus: 'pcie.0', express: true },
};

/** A function board init puts on the root bus before any `-device`, unless `off` turns it off. */
interface BuiltinFunction {
  readonly typeName: string;
  readonly devfn: number;
  /** The `-machine` property that leaves it out when `off` (`sata`, `smbus`, `acpi`). */
  readonly off?: string;
}

/**
 * `pc_q35_init` (mch, ICH9 LPC, AHCI, SMBus), `pc_init1` (i440FX, PIIX3 with IDE and, with
 * ACPI, PIIX4_PM), `create_pcie` (gpex-root): what `info pci` shows with `-nodefaults`.
 */
const BUILTINS: Readonly<Record<string, readonly BuiltinFunction[]>> = {
  q35: [
    { typeName: 'mch', devfn: 0x00 },
    { typeName: 'ICH9-LPC', devfn: 0xf8 },
    { typeName: 'ich9-ahci', devfn: 0xfa, off: 'sata' },
    { typeName: 'ICH9-SMB', devfn: 0xfb, off: 'smbus' },
  ],
  pc: [
    { typeName: 'i440FX', devfn: 0x00 },
    { typeName: 'PIIX3', devfn: 0x08 },
    { typeName: 'piix3-ide', devfn: 0x09 },
    { typeName: 'PIIX4_PM', devfn: 0x0b, off: 'acpi' },
  ],
  virt: [{ typeName: 'gpex-root', devfn: 0x00 }],
};

/** `mc->default_nic` and the `-vga std` default display (`pc_vga_init`) of each family; virt has no display. */
const BOARD_DEFAULTS: Readonly<Record<string, { readonly nic: string; readonly vga: string | null }>> = {
  q35: { nic: 'e1000e', vga: 'VGA' },
  pc: { nic: 'e1000', vga: 'VGA' },
  virt: { nic: 'virtio-net-pci', vga: null },
};

/** The newest machine version of each profile (the alias `q35`/`virt` resolves to it). */
const NEWEST_MACHINE: Readonly<Record<ProfileId, readonly [number, number]>> = {
  '7.2': [7, 2],
  '10.0': [10, 0],
  '10.2': [10, 2],
  upstream: [11, 0],
};

/** The binary of a target. */
export function qemuBinary(arch: Arch): string {
  return `qemu-system-${arch}`;
}

/** The target a machine type belongs to, or undefined when viommu does not know the type. */
export function machineArch(type: string): Arch | undefined {
  return familyOf(type)?.[1].arch;
}

/** Each family with the pattern of its versioned type names. */
const VERSIONED = Object.entries(FAMILIES).map(([name, f]) => ({
  name,
  f,
  versioned: new RegExp(`^${f.prefix.replace(/[-.]/g, '\\$&')}(\\d+)\\.(\\d+)$`),
}));

function familyOf(type: string): [string, MachineFamily, readonly [number, number] | null] | undefined {
  for (const { name, f, versioned } of VERSIONED) {
    if (type === name) return [name, f, null];
    const m = versioned.exec(type);
    if (m) return [name, f, [Number(m[1]), Number(m[2])]];
  }
  return undefined;
}

/** The machine being built, with its `viommus` list growing as vIOMMUs realize. */
export interface BuiltMachine extends MachineContext {
  readonly arch: Arch;
  readonly viommus: { typeName: string; id?: string }[];
}

/**
 * `machine_run_board_init` as far as vIOMMUs care: resolves the type (alias or versioned,
 * not newer than the profile's newest), creates the root bus with `default-bus-bypass-iommu`,
 * the board's built-in functions, then its display and NICs (`board`) in the first free slots.
 * @throws QemuError `unsupported machine type` (QEMU's text and hint) for a type this profile
 *   does not have.
 */
export function buildMachine(
  opt: MachineOption,
  type: string,
  profile: ProfileId,
  accel: Accel,
  globals: MachineContext['globals'],
  board?: BoardDevices,
): BuiltMachine {
  const found = familyOf(type);
  const newest = NEWEST_MACHINE[profile];
  const v = found?.[2];
  if (!found || (v && (v[0] > newest[0] || (v[0] === newest[0] && v[1] > newest[1])))) {
    throw new QemuError('unsupported machine type', 'machine', undefined, 'Use -machine help to list supported machines');
  }
  const [family, f] = found;
  const compat = v && !(v[0] === newest[0] && v[1] === newest[1]) ? v : null;
  const pci = new PCITopology();
  const bypass = /^(on|yes|true)$/.test(opt.props['default-bus-bypass-iommu'] ?? '');
  const rootBus = pci.addRootBus(f.rootBus, f.express, bypass);
  for (const b of BUILTINS[family] ?? []) {
    if (!(b.off && /^(off|no|false)$/.test(opt.props[b.off] ?? ''))) pci.plug({ typeName: b.typeName, bus: rootBus, devfn: b.devfn });
  }
  const defaults = BOARD_DEFAULTS[family];
  if (defaults && board) {
    const vga = board.vga === 'default' ? defaults.vga : f.arch === 'x86_64' ? board.vga : null;
    if (vga) pci.plug({ typeName: vga, bus: rootBus });
    for (const nic of board.nics) pci.plug({ typeName: nic ?? defaults.nic, bus: rootBus });
  }
  const irqchip = opt.props['kernel-irqchip'];
  return {
    arch: f.arch,
    family,
    typeName: `${f.prefix}${(v ?? newest).join('.')}`,
    compatVersion: compat,
    accel,
    kernelIrqchip: irqchip === 'on' || irqchip === 'off' || irqchip === 'split' ? irqchip : undefined,
    props: opt.props,
    pci,
    rootBus,
    addressSpaceMemory: createAddressSpaceMemory(),
    viommus: [],
    globals,
  };
}
