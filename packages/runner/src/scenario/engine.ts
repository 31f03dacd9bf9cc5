import {
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
  type PCIDevice,
  type QemuProfile,
  type Trace,
} from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { deviceModels } from '../input/device-models.js';
import { lastValue, type OptionEntry, type VmConfig } from '../input/vm-config.js';
import { at, Boot, LocatedError, plugPci } from './boot.js';
import type { BuiltMachine } from './machine.js';
import { hwptAllocs } from './hwpts.js';
import { printRefusal, type Verdict, type ViommuReport } from './verdict.js';
import { resolveAllOrNone } from './compose.js';

/**
 * `vfio-pci`'s own option checks before `vfio_pci_realize` (`hw/vfio/pci.c`): the host device
 * from `host=` (`[dddd:]bb:dd.f`) or `sysfsdev=` (its last path component).
 */
function vfioHost(entry: OptionEntry): string {
  const host = lastValue(entry.pairs, 'host');
  const sysfsdev = lastValue(entry.pairs, 'sysfsdev');
  if (host === undefined && sysfsdev !== undefined) return sysfsdev.replace(/\/+$/, '').split('/').pop()!;
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
  const boot = new Boot(vm, resolveAllOrNone(c, VIOMMU_PLUGIN), profile, trace);
  const notes = [...vm.notes, ...boot.notes];
  const report = (refusal?: LocatedError): Verdict => ({
    ok: !refusal,
    profile: profile.id,
    release: profile.release,
    qemuBinary: boot.binary,
    machine: boot.machine?.typeName ?? boot.machineType,
    host: host.id,
    refusal: refusal && {
      message: refusal.error.message,
      location: refusal.location,
      stage: refusal.error.stage,
      errno: refusal.error.errno,
      hint: refusal.error.hint,
      printed: printRefusal(boot.binary, refusal.location, refusal.error.message),
    },
    trace,
    viommus: boot.viommus.map(({ dev, plugin }): ViommuReport => ({
      typeName: dev.typeName,
      id: dev.id,
      registers: dev.registers(),
      flags: plugin.viommuFlags(profile.id, dev.props),
    })),
    hwpts: hwptAllocs(trace),
    kernelObjects: c.resolve(KERNEL_OBJECTS).liveObjects().filter((o) => !o.kind.startsWith('fd:')),
    notes,
  });
  try {
    for (const obj of vm.objects) {
      if (obj.type === 'iommufd' && !profile.iommufdBackend) {
        at(obj.location, () => {
          throw new QemuError("Parameter 'qom-type' does not accept value 'iommufd'", 'option-parse');
        });
      }
    }
    const m = boot.start();
    c.register(MACHINE, { useValue: m });
    const iommufds = new Map<string, IOMMUFDBackend>();
    for (const obj of vm.objects) {
      if (obj.type !== 'iommufd') {
        notes.push(`ignored ${obj.location}`);
        continue;
      }
      at(obj.location, () => {
        if (!obj.id) throw new QemuError("Parameter 'id' is missing", 'option-parse');
        iommufds.set(obj.id, c.resolve(IOMMUFD_BACKEND_FACTORY).create(obj.id));
      });
    }
    const vfioDevices: { name: string; pdev: PCIDevice }[] = [];
    const models = deviceModels(profile.id, m.arch);
    for (const entry of vm.devices) {
      const plugin = boot.pluginFor(entry.type);
      const model = plugin ? undefined : at(entry.location, () => models.lookup(entry.type, m.family));
      if (plugin) {
        boot.realizeDevice(plugin, entry);
      } else if (PCI_BRIDGE_ROLES[entry.type]) {
        at(entry.location, () => plugPci(m, entry));
      } else if (entry.type === 'vfio-pci') {
        vfioDevices.push(at(entry.location, () => realizeVfioPci(c, m, entry, iommufds, profile, trace)));
      } else if (model?.bus === 'PCI') {
        at(entry.location, () => plugPci(m, { ...entry, type: model.typeName }));
        notes.push(`${entry.location}: plugged as an emulated PCI endpoint`);
      } else {
        notes.push(`ignored ${entry.location} (not part of the vIOMMU negotiation)`);
      }
    }
    for (const { dev } of boot.viommus) at(undefined, () => dev.machineInitDone?.({ machine: m, vfioDevices }));
    return report();
  } catch (e) {
    if (e instanceof LocatedError) return report(e);
    throw e;
  }
}

/** `-device vfio-pci,…`: the iommufd link, `host=`, the PCI slot, then `vfio_pci_realize`. */
function realizeVfioPci(
  c: DependencyContainer,
  m: BuiltMachine,
  entry: OptionEntry,
  iommufds: ReadonlyMap<string, IOMMUFDBackend>,
  profile: QemuProfile,
  trace: Trace,
): { name: string; pdev: PCIDevice } {
  const fdId = lastValue(entry.pairs, 'iommufd');
  let iommufd: IOMMUFDBackend | undefined;
  if (fdId !== undefined) {
    if (!profile.iommufdBackend) throw new QemuError("Property 'vfio-pci.iommufd' not found", 'option-parse');
    iommufd = iommufds.get(fdId);
    if (!iommufd) throw new QemuError(`Property 'vfio-pci.iommufd' can't find value '${fdId}'`, 'option-parse');
  }
  const name = vfioHost(entry);
  const pdev = plugPci(m, entry);
  vfioPciRealize({
    host: name,
    pdev,
    backend: c.resolve(iommufd ? VFIO_IOMMU_IOMMUFD : VFIO_IOMMU_LEGACY),
    iommufd,
    kernel: c.resolve(KERNEL_UAPI),
    profile,
    addressSpaceMemory: m.addressSpaceMemory,
    trace,
  });
  return { name, pdev };
}
