import {
  InputError,
  parsePciDevfn,
  PCI_BRIDGE_ROLES,
  pciDeviceSupportsAddressSpace,
  QemuError,
  type PCIBus,
  type PCIDevice,
  type QemuProfile,
  type Trace,
  type ViommuDevice,
  type ViommuPlugin,
} from '@viommu/core';
import { lastValue, type OptionEntry, type VmConfig } from '../input/vm-config.js';
import { buildMachine, qemuBinary, type BuiltMachine } from './machine.js';
import { pluginFor, pluginsForArch, targetOf } from './targets.js';

/** A QemuError with the location QEMU reports it at (none for machine-wide errors). */
export class LocatedError {
  constructor(
    readonly error: QemuError,
    readonly location: string | undefined,
  ) {}
}

/** Runs `fn`, giving any QemuError it throws QEMU's location. */
export function at<T>(location: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof QemuError) throw new LocatedError(e, location);
    throw e;
  }
}

/**
 * `do_pci_register_device`: plugs the PCI function a `-device` creates (`bus=`, `addr=`; a
 * bridge gets its secondary bus) and asks the vIOMMU whether it may translate it
 * (`pci_iommu_supports_address_space`); a refused device is unplugged again.
 */
export function plugPci(machine: BuiltMachine, entry: OptionEntry): PCIDevice {
  const busName = lastValue(entry.pairs, 'bus');
  const addr = lastValue(entry.pairs, 'addr');
  const bus: PCIBus = busName === undefined ? machine.rootBus : machine.pci.bus(busName);
  const dev = machine.pci.plug({
    typeName: entry.type,
    id: entry.id,
    bus,
    devfn: addr === undefined ? undefined : parsePciDevfn(entry.type, addr),
    role: PCI_BRIDGE_ROLES[entry.type],
    props: Object.fromEntries(entry.pairs.map((p) => [p.key, p.value])),
  });
  try {
    pciDeviceSupportsAddressSpace(dev);
  } catch (e) {
    machine.pci.unplug(dev);
    throw e;
  }
  return dev;
}

/** A realized vIOMMU and the plugin behind it. */
export interface RealizedViommu {
  readonly dev: ViommuDevice;
  readonly plugin: ViommuPlugin;
  /** `-device …` as written, or the `-machine` option that created it. */
  readonly location: string;
}

/**
 * A machine being started (`qemu_init` up to device creation): the target, the machine with
 * the vIOMMUs it creates itself, and `-device` realize for vIOMMU plugins. Used by the
 * scenario engine and by `viommu regs`, which needs no host.
 */
export class Boot {
  readonly binary: string;
  readonly machineType: string;
  readonly viommus: RealizedViommu[] = [];
  readonly notes: string[] = [];
  #machine: BuiltMachine | undefined;
  #plugins: readonly ViommuPlugin[] = [];

  constructor(
    readonly vm: VmConfig,
    readonly plugins: readonly ViommuPlugin[],
    readonly profile: QemuProfile,
    readonly trace: Trace,
  ) {
    const target = targetOf(vm, plugins);
    this.binary = qemuBinary(target.arch);
    this.machineType = target.machine;
    if (!vm.machine.type) this.notes.push(`no -machine given: using ${target.machine}`);
  }

  get machine(): BuiltMachine | undefined {
    return this.#machine;
  }

  /** Creates the machine and the vIOMMUs its options create. @throws LocatedError */
  start(defaultAccel: 'tcg' | 'kvm' = 'tcg'): BuiltMachine {
    const { vm, profile } = this;
    const m = at(undefined, () => buildMachine(vm.machine, this.machineType, profile.id, vm.accel ?? defaultAccel, vm.globals, vm.boardDevices));
    this.#machine = m;
    this.#plugins = pluginsForArch(this.plugins, m.arch);
    for (const plugin of this.#plugins) {
      const created = at(undefined, () => plugin.machineDevices?.(profile, m) ?? []);
      for (const options of created) this.#realize(plugin, undefined, options, vm.machine.text ?? `-machine ${m.family}`);
    }
    return m;
  }

  /** The plugin of `-device <type>` on this machine's target, if any. */
  pluginFor(type: string): ViommuPlugin | undefined {
    return pluginFor(this.#plugins, type);
  }

  /** Realizes a `-device` of a vIOMMU plugin. @throws LocatedError, InputError */
  realizeDevice(plugin: ViommuPlugin, entry: OptionEntry): RealizedViommu {
    return this.#realize(plugin, entry, entry.pairs, entry.location);
  }

  /** `-device <type>` that exists in another target only: QEMU's unknown-device error. @throws LocatedError */
  refuseForeignViommu(entry: OptionEntry): void {
    if (this.plugins.some((p) => p.manifest.typeName === entry.type)) {
      at(entry.location, () => {
        throw new QemuError(`'${entry.type}' is not a valid device model name`, 'option-parse');
      });
    }
  }

  #realize(plugin: ViommuPlugin, entry: OptionEntry | undefined, options: OptionEntry['pairs'], location: string): RealizedViommu {
    const m = this.#machine!;
    const { profile, trace } = this;
    if (!plugin.manifest.profiles.includes(profile.id)) {
      throw new InputError(`${plugin.manifest.typeName} is not modelled for QEMU ${profile.id} (its profiles: ${plugin.manifest.profiles.join(', ')})`);
    }
    const dev = at(entry?.location, () => plugin.realize({ profile, machine: m, options, id: entry?.id, fromMachine: !entry, trace }));
    const r = { dev, plugin, location };
    this.viommus.push(r);
    m.viommus.push({ typeName: dev.typeName, id: dev.id });
    return r;
  }
}
