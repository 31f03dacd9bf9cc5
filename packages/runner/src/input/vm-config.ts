import type { Accel, OptionPair } from '@viommu/core';

/**
 * A VM configuration as the runner understands it: what a QEMU command line (or a libvirt
 * domain) asks for, in command-line order. Values stay the strings the user wrote; the
 * scenario engine parses them with QEMU's rules when it realizes each object.
 */
export interface VmConfig {
  /** `-machine` (`type` is the implied key; absent when not given). */
  readonly machine: MachineOption;
  /** `-accel` / `-enable-kvm` / `-machine accel=`; absent: QEMU's default (tcg). */
  readonly accel?: Accel;
  /** `-object`s in order. */
  readonly objects: readonly OptionEntry[];
  /** `-device`s in order. */
  readonly devices: readonly OptionEntry[];
  /** `-global driver.prop=value`, by driver. */
  readonly globals: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * PCI devices board init adds before any `-device` (`-vga`, `-nic`, `-net nic` and QEMU's
   * default display and NIC unless `-nodefaults`); they take the first free slots. Absent:
   * none, as with `-nodefaults`.
   */
  readonly boardDevices?: BoardDevices;
  /** Options that were ignored because they do not affect the vIOMMU (for people). */
  readonly notes: readonly string[];
}

export interface MachineOption {
  readonly type?: string;
  readonly props: Readonly<Record<string, string>>;
  /** As written, for QEMU's location prefix (`-machine virt,iommu=smmuv3`). */
  readonly text?: string;
}

/** What `-vga`, `-nic`, `-net` and `-nodefaults` ask board init for. */
export interface BoardDevices {
  /** The VGA device type, `'default'` for the machine's default display, null for none. */
  readonly vga: string | null;
  /** One entry per NIC: its model, or null for the machine's default model. */
  readonly nics: readonly (string | null)[];
}

/** One `-device`/`-object`: the implied key (driver / qom-type), its pairs and its text. */
export interface OptionEntry {
  /** `driver` of a `-device`, `qom-type` of an `-object`. */
  readonly type: string;
  readonly pairs: readonly OptionPair[];
  /** `id=`, if given. */
  readonly id?: string;
  /** QEMU's location: `-device vfio-pci,host=0000:01:00.0`. */
  readonly location: string;
}

/** The last value of `key` among `pairs` (QEMU: the last duplicate wins). */
export function lastValue(pairs: readonly OptionPair[], key: string): string | undefined {
  let v: string | undefined;
  for (const p of pairs) if (p.key === key) v = p.value;
  return v;
}
