import {
  InputError,
  IOMMUFD_BACKEND_FACTORY,
  KERNEL_OBJECTS,
  KERNEL_UAPI,
  MACHINE,
  PCI_BRIDGE_ROLES,
  QemuError,
  TRACE,
  VFIO_IOMMU_IOMMUFD,
  VFIO_IOMMU_LEGACY,
  VIOMMU_PLUGIN,
  vfioPciRealize,
  type HostModel,
  type IOMMUFDBackend,
  type PCIBus,
  type PCIDevice,
  type QemuProfile,
  type ViommuDevice,
  type ViommuPlugin,
} from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { lastValue, type OptionEntry, type VmConfig } from '../input/vm-config.js';
import { buildMachine, qemuBinary, type BuiltMachine } from './machine.js';
import { pluginFor, pluginsForArch, targetOf } from './targets.js';
import { printRefusal, type Verdict, type ViommuReport } from './verdict.js';
import { resolveAllOrNone } from './compose.js';

/** A QemuError with the location QEMU reports it at (none for machine-wide errors). */
class LocatedError {
  constructor(
    readonly error: QemuError,
    readonly location: string | undefined,
  ) {}
}

function at<T>(location: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof QemuError) throw new LocatedError(e, location);
    throw e;
  }
}

/** `qdev_prop_set` of `addr=`: `slot[.fn]`, hex (`PCI_DEVFN`). */
function parseAddr(entry: OptionEntry, value: string): number {
  const m = /^(?:0x)?([0-9a-fA-F]{1,2})(?:\.([0-7]))?$/.exec(value);
  const slot = m ? parseInt(m[1]!, 16) : NaN;
  if (!m || slot > 0x1f) throw new QemuError(`Property '${entry.type}.addr' doesn't take value '${value}'`, 'option-parse');
  return (slot << 3) | Number(m[2] ?? 0);
}

/** The PCI function a `-device` creates (`bus=`, `addr=`, bridges' secondary buses). */
function plugPci(machine: BuiltMachine, entry: OptionEntry): PCIDevice {
  const busName = lastValue(entry.pairs, 'bus');
  const addr = lastValue(entry.pairs, 'addr');
  const bus: PCIBus = busName === undefined ? machine.rootBus : machine.pci.bus(busName);
  const props = Object.fromEntries(entry.pairs.map((p) => [p.key, p.value]));
  return machine.pci.plug({
    typeName: entry.type,
    id: entry.id,
    bus,
    devfn: addr === undefined ? undefined : parseAddr(entry, addr),
    role: PCI_BRIDGE_ROLES[entry.type],
    props,
  });
}

/** `vfio-pci`'s own option checks before `vfio_pci_realize` (`hw/vfio/pci.c`). */
function vfioHost(entry: OptionEntry): string {
  const host = lastValue(entry.pairs, 'host');
  if (host === undefined) {
    throw new QemuError(
      'No provided host device',
      'option-parse',
      undefined,
      'Use -device vfio-pci,host=DDDD:BB:DD.F or -device vfio-pci,sysfsdev=PATH_TO_DEVICE',
    );
  }
  const m = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(host);
  if (!m) throw new QemuError(`Property 'vfio-pci.host' doesn't take value '${host}'`, 'option-parse');
  return `${(m[1] ?? '0000').toLowerCase()}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${m[4]}`;
}

/**
 * Runs one VM configuration in a scenario container (see `Composition.scenario`) the way QEMU
 * starts it: machine (and the vIOMMUs the machine creates), `-object`s, `-device`s in order,
 * then every vIOMMU's `machine_init_done`. The first `QemuError` is the refusal.
 * @throws InputError when the configuration names something viommu cannot model (a vIOMMU
 *   of another target, a profile a plugin does not model).
 */
export function runScenario(c: DependencyContainer, vm: VmConfig, host: HostModel, profile: QemuProfile): Verdict {
  const trace = c.resolve(TRACE);
  const notes = [...vm.notes];
  const plugins = resolveAllOrNone(c, VIOMMU_PLUGIN);
  const target = targetOf(vm, plugins);
  if (!vm.machine.type) notes.push(`no -machine given: using ${target.machine}`);
  const binary = qemuBinary(target.arch);
  const viommus: { dev: ViommuDevice; plugin: ViommuPlugin }[] = [];
  let machine: BuiltMachine | undefined;
  const report = (refusal?: LocatedError): Verdict => ({
    ok: !refusal,
    profile: profile.id,
    release: profile.release,
    qemuBinary: binary,
    machine: machine?.typeName ?? vm.machine.type ?? target.machine,
    host: host.id,
    refusal: refusal && {
      message: refusal.error.message,
      location: refusal.location,
      stage: refusal.error.stage,
      errno: refusal.error.errno,
      hint: refusal.error.hint,
      printed: printRefusal(binary, refusal.location, refusal.error.message),
    },
    trace,
    viommus: viommus.map(({ dev, plugin }): ViommuReport => ({
      typeName: dev.typeName,
      id: dev.id,
      registers: dev.registers(),
      flags: plugin.viommuFlags(profile.id, dev.props),
    })),
    kernelObjects: c.resolve(KERNEL_OBJECTS).liveObjects().filter((o) => !o.kind.startsWith('fd:')),
    notes,
  });
  try {
    const m = at(undefined, () => buildMachine(vm.machine, target.machine, profile.id, vm.accel ?? 'tcg', vm.globals));
    machine = m;
    c.register(MACHINE, { useValue: m });
    const archPlugins = pluginsForArch(plugins, m.arch);
    const realizeViommu = (plugin: ViommuPlugin, entry: OptionEntry | undefined) => {
      if (!plugin.manifest.profiles.includes(profile.id)) {
        throw new InputError(`${plugin.manifest.typeName} is not modelled for QEMU ${profile.id} (its profiles: ${plugin.manifest.profiles.join(', ')})`);
      }
      const dev = at(entry?.location, () =>
        plugin.realize({ profile, machine: m, options: entry?.pairs ?? [], id: entry?.id, fromMachine: !entry, trace }),
      );
      viommus.push({ dev, plugin });
      m.viommus.push({ typeName: dev.typeName, id: dev.id });
    };
    for (const plugin of archPlugins) {
      const created = at(vm.machine.text, () => plugin.machineDevices?.(profile, m) ?? []);
      for (const options of created) {
        if (!plugin.manifest.profiles.includes(profile.id)) continue;
        const dev = at(undefined, () => plugin.realize({ profile, machine: m, options, fromMachine: true, trace }));
        viommus.push({ dev, plugin });
        m.viommus.push({ typeName: dev.typeName, id: dev.id });
      }
    }
    const iommufds = new Map<string, IOMMUFDBackend>();
    for (const obj of vm.objects) {
      if (obj.type !== 'iommufd') {
        notes.push(`ignored ${obj.location}`);
        continue;
      }
      at(obj.location, () => {
        if (!profile.iommufdBackend) throw new QemuError("Parameter 'qom-type' does not accept value 'iommufd'", 'option-parse');
        if (!obj.id) throw new QemuError("Parameter 'id' is missing", 'option-parse');
        iommufds.set(obj.id, c.resolve(IOMMUFD_BACKEND_FACTORY).create(obj.id));
      });
    }
    const vfioDevices: { name: string; pdev: PCIDevice }[] = [];
    for (const entry of vm.devices) {
      const plugin = pluginFor(archPlugins, entry.type);
      if (plugin) {
        realizeViommu(plugin, entry);
        continue;
      }
      if (PCI_BRIDGE_ROLES[entry.type]) {
        at(entry.location, () => plugPci(m, entry));
        continue;
      }
      if (entry.type === 'vfio-pci') {
        at(entry.location, () => {
          const fdId = lastValue(entry.pairs, 'iommufd');
          let iommufd: IOMMUFDBackend | undefined;
          if (fdId !== undefined) {
            if (!profile.iommufdBackend) throw new QemuError("Property 'vfio-pci.iommufd' not found", 'option-parse');
            iommufd = iommufds.get(fdId);
            if (!iommufd) throw new QemuError(`Property 'vfio-pci.iommufd' can't find value '${fdId}'`, 'option-parse');
          }
          const name = vfioHost(entry);
          const pdev = plugPci(m, entry);
          const backend = c.resolve(iommufd ? VFIO_IOMMU_IOMMUFD : VFIO_IOMMU_LEGACY);
          vfioPciRealize({
            host: name,
            pdev,
            backend,
            iommufd,
            kernel: c.resolve(KERNEL_UAPI),
            profile,
            addressSpaceMemory: m.addressSpaceMemory,
            trace,
          });
          vfioDevices.push({ name, pdev });
        });
        continue;
      }
      if (plugins.some((p) => p.manifest.typeName === entry.type)) {
        at(entry.location, () => {
          throw new QemuError(`'${entry.type}' is not a valid device model name`, 'option-parse');
        });
      }
      notes.push(`ignored ${entry.location} (not part of the vIOMMU negotiation)`);
    }
    for (const { dev } of viommus) at(undefined, () => dev.machineInitDone?.({ machine: m, vfioDevices }));
    return report();
  } catch (e) {
    if (e instanceof LocatedError) return report(e);
    throw e;
  }
}
