import { hex, InputError, parseOptionString, PCI_BRIDGE_ROLES, Trace, VIOMMU_PLUGIN, type QemuProfile, type ViommuPlugin } from '@viommu/core';
import { parseQemuArgs } from '../input/qemu-args.js';
import type { VmConfig } from '../input/vm-config.js';
import { discoverPlugins, type DiscoveryNeeds } from '../plugins/discovery.js';
import { RegistrationRecorder } from '../plugins/recorder.js';
import type { DeviceModels } from '../input/device-models.js';
import { at, Boot, LocatedError, plugPci, type RealizedViommu } from '../scenario/boot.js';
import { machineArch, type Arch } from '../scenario/machine.js';

/**
 * The vIOMMU plugins, loaded without DI: each package's `register` runs against a recorder
 * and the plugin values are taken from it (`viommu regs` starts fast). `needs` (`regsNeeds`):
 * only the packages it names; without it, every vIOMMU package.
 */
export async function loadViommuPlugins(needs?: DiscoveryNeeds): Promise<ViommuPlugin[]> {
  const found = await discoverPlugins({ viommusOnly: true, needs });
  const rec = new RegistrationRecorder();
  for (const p of found.packages) p.register(rec.asContainer());
  return rec.values(VIOMMU_PLUGIN);
}

const deviceValue = (device: string) => (device.startsWith('-device') ? device.replace(/^-device\s+/, '') : device);

/** The implied first key's value of an option string, or undefined when there is none or it does not parse (refused later, before any plugin is asked). */
function impliedOf(text: string, key: string): string | undefined {
  try {
    return parseOptionString(text, key, 'regs').implied;
  } catch (e) {
    if (e instanceof InputError) return undefined;
    throw e;
  }
}

/**
 * What `-device` values with `--machine` need loaded: the plugins of their types and, with a
 * machine, the built-ins of its target (its options may create a vIOMMU: `virt,iommu=smmuv3`).
 * Each line's answer depends on no other plugin (`Boot`: the target is the machine's or the
 * device's, a foreign type is refused by its own plugin), so it is the same as with all loaded.
 * Each distinct value is read once (a batch often repeats lines).
 */
export function regsNeeds(devices: Iterable<string>, machine: string | undefined): DiscoveryNeeds {
  const types = new Set<string>();
  for (const d of new Set(devices)) {
    const t = impliedOf(deviceValue(d), 'driver');
    if (t !== undefined) types.add(t);
  }
  const machineType = machine === undefined ? undefined : impliedOf(machine, 'type');
  const arch = machineType === undefined ? undefined : machineArch(machineType);
  return { devices: [...types], ...(arch ? { arch } : {}) };
}

/** One vIOMMU's registers (`{"device": …, "registers": {…}}`) or QEMU's refusal. */
export type RegsLine =
  | { readonly device: string; readonly registers: Readonly<Record<string, string>> }
  | { readonly device: string; readonly error: string };

/** A refusal with its full QEMU line, for people. */
export interface RegsResult {
  readonly binary: string;
  readonly machine: string;
  readonly lines: readonly RegsLine[];
  /** `qemu-system-…: <location>: <message>` and hint, when refused. */
  readonly printed?: string;
}

const optionText = (location: string) => (location.startsWith('-device ') ? location.slice('-device '.length) : location);

/** A realized vIOMMU's registers in its manifest's order, as `0x…`. */
function registersLine(v: RealizedViommu): RegsLine {
  const values = v.dev.registers();
  const registers: Record<string, string> = {};
  for (const r of v.plugin.manifest.registers) registers[r] = hex(values[r] ?? 0n);
  return { device: optionText(v.location), registers };
}

/** The device models of a binary (`deviceModels` of `input/device-models.ts`, loaded only when a command needs it). */
export type DeviceModelsOf = (profile: QemuProfile['id'], arch: Arch) => DeviceModels;

/** Whether `viommuRegisters` needs `models` for `vm`: it names a `-device` type that is neither a plugin's nor a bridge. */
export function needsDeviceModels(types: Iterable<string>, plugins: readonly ViommuPlugin[]): boolean {
  for (const t of types) if (!PCI_BRIDGE_ROLES[t] && !plugins.some((p) => p.manifest.typeName === t)) return true;
  return false;
}

/**
 * Starts the machine of `vm` without a host and realizes every vIOMMU it creates (by
 * `-machine` options or `-device`), with the bridges they may name. Other devices are not
 * created, but their model names are checked as QEMU does (`models`; without it only a
 * vIOMMU of another target is refused). Registers print as `0x…` (64-bit safe).
 */
export function viommuRegisters(vm: VmConfig, plugins: readonly ViommuPlugin[], profile: QemuProfile, models?: DeviceModelsOf): RegsResult {
  const boot = new Boot(vm, plugins, profile, new Trace());
  try {
    const m = boot.start('kvm');
    for (const entry of vm.devices) {
      const plugin = boot.pluginFor(entry.type);
      if (plugin) boot.realizeDevice(plugin, entry);
      else if (PCI_BRIDGE_ROLES[entry.type]) plugPci(m, entry);
      else if (models) at(entry.location, () => models(profile.id, m.arch).lookup(entry.type, m.family));
      else boot.refuseForeignViommu(entry);
    }
    const lines = boot.viommus.map(registersLine);
    if (lines.length === 0) throw new InputError('the configuration creates no vIOMMU', 'regs');
    return { binary: boot.binary, machine: m.typeName, lines };
  } catch (e) {
    if (!(e instanceof LocatedError)) throw e;
    const lines = [...boot.viommus.map(registersLine), { device: e.location ? optionText(e.location) : (vm.machine.text ?? ''), error: e.error.message }];
    const printed = `${boot.binary}: ${e.location ? `${e.location}: ` : ''}${e.error.message}${e.error.hint ? `\n${e.error.hint}` : ''}`;
    return { binary: boot.binary, machine: boot.machine?.typeName ?? boot.machineType, lines, printed };
  }
}

/** The VM of one `-device` value with `--machine`/`--accel` (default: the vendor's machine, kvm). */
export function deviceVm(device: string, machine: string | undefined, accel: string | undefined): VmConfig {
  const value = deviceValue(device);
  if (value.trim() === '') throw new InputError('empty -device value', 'regs');
  const argv = ['-accel', accel ?? 'kvm', '-device', value];
  return parseQemuArgs(machine ? ['-machine', machine, ...argv] : argv, 'regs');
}
