import type { OptionPair } from '@viommu/core';
import type { MachineOption, OptionEntry } from '../vm-config.js';
import type { Controller, Domain, Hostdev, Iommu } from './domain.js';
import { SMMU_NUMBERS, SMMU_SWITCHES } from './iommu.js';
import { LibvirtError, pciAddressString, type PciAddress, type PciControllerModel } from './pci-address.js';

type Json = string | number | boolean;
type Props = [key: string, value: Json | undefined][];

/** QEMU's `qdev_alias_table`: the type a `-device` driver alias creates. */
const QEMU_ALIASES: Readonly<Record<string, string>> = { 'virtio-iommu': 'virtio-iommu-pci' };

/** `qemuDomainPCIControllerSetDefaultModelName`: the QEMU device of each controller model. */
const CONTROLLER_DEVICES: Readonly<Record<Exclude<PciControllerModel, 'pci-root' | 'pcie-root'>, string>> = {
  'pci-bridge': 'pci-bridge',
  'dmi-to-pci-bridge': 'i82801b11-bridge',
  'pcie-to-pci-bridge': 'pcie-pci-bridge',
  'pcie-root-port': 'pcie-root-port',
  'pcie-switch-upstream-port': 'x3130-upstream',
  'pcie-switch-downstream-port': 'xio3130-downstream',
  'pci-expander-bus': 'pxb',
  'pcie-expander-bus': 'pxb-pcie',
};

/**
 * `qemuBuildDeviceCommandlineFromJSON` with QEMU_CAPS_DEVICE_JSON (every QEMU viommu models):
 * `-device {"driver":…}`, compact JSON in libvirt's key order. QEMU prints the argument as it
 * is in its error location, so the entry's location is that JSON. Values reach the scenario
 * engine as QEMU's keyval would spell them (`true` → `on`; `addr` `0x1.0x2` → `1.2`: the same
 * devfn for QEMU's `set_pci_devfn`, which reads both with `%x`).
 */
function jsonDevice(props: Props): OptionEntry {
  const given = props.filter((p): p is [string, Json] => p[1] !== undefined);
  const json = `{${given.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  const driver = String(given.find(([k]) => k === 'driver')![1]);
  const pairs: OptionPair[] = given
    .filter(([k]) => k !== 'driver')
    .map(([key, v]) => ({ key, value: typeof v === 'boolean' ? (v ? 'on' : 'off') : key === 'addr' ? String(v).replace(/0x/g, '') : String(v) }));
  return { type: QEMU_ALIASES[driver] ?? driver, pairs, id: pairs.find((p) => p.key === 'id')?.value, location: `-device ${json}` };
}

/** libvirt's tristate `on`/`off` attribute as a JSON bool (`T:` in `virJSONValueObjectAdd`). */
const tristate = (v: string | undefined): boolean | undefined => (v === 'on' ? true : v === 'off' ? false : undefined);

/** `qemuBuildDeviceAddressPCIGetBus`: the alias of the controller whose index is the bus. */
function busName(domain: Domain, a: PciAddress): string {
  const c = domain.controllers.find((k) => k.pci && k.index === a.bus);
  if (!c) throw new LibvirtError(`internal error: Could not find PCI controller with index '${a.bus}' required for device at address '${pciAddressString(a)}'`);
  if (c.pci!.model === 'pcie-root') return 'pcie.0';
  if (c.pci!.model === 'pci-root') return 'pci.0';
  return c.pci!.alias ?? `pci.${c.index}`;
}

/** libvirt's `addr`: `0x2`, or `0x2.0x1` off function 0. */
const pciAddr = (a: PciAddress): string => (a.fn ? `0x${a.slot.toString(16)}.0x${a.fn.toString(16)}` : `0x${a.slot.toString(16)}`);

/** Where a device sits, for notes: `pci.5 addr 0x0`. */
export const placement = (domain: Domain, a: PciAddress): string => `${busName(domain, a)} addr ${pciAddr(a)}`;

/** `qemuBuildDeviceAddressProps` for a PCI address: `bus`, `multifunction`, `addr`. */
function addressProps(domain: Domain, a: PciAddress | undefined): Props {
  if (!a) return [];
  return [
    ['bus', busName(domain, a)],
    ['multifunction', a.multi],
    ['addr', pciAddr(a)],
  ];
}

/**
 * `qemuBuildMachineCommandLine` as far as the vIOMMU is concerned: `usb=off`, the I/O APIC
 * (`kernel_irqchip`), `gic-version`, `iommu=smmuv3`, `dump-guest-core` (qemu.conf's default).
 * The parts that depend on QEMU's capabilities (`memory-backend=`, `acpi=`) are left out.
 */
export function machineOption(domain: Domain): MachineOption {
  if (!domain.machine) return { props: {} };
  const irqchip = domain.ioapic === 'qemu' ? 'split' : domain.ioapic === 'kvm' ? 'on' : undefined;
  const smmu = domain.iommus.some((i) => i.model === 'smmuv3' && !smmuDevice(i));
  const parts: [string, string, string | undefined][] = [
    ['usb', 'usb', 'off'],
    ['kernel_irqchip', 'kernel-irqchip', irqchip],
    ['gic-version', 'gic-version', domain.gicVersion],
    ['iommu', 'iommu', smmu ? 'smmuv3' : undefined],
    ['dump-guest-core', 'dump-guest-core', 'off'],
  ];
  const given = parts.filter((p): p is [string, string, string] => p[2] !== undefined);
  return {
    type: domain.machine,
    // QEMU reads kernel_irqchip as kernel-irqchip (find_option_alias in system/vl.c)
    props: Object.fromEntries(given.map(([, key, v]) => [key, v])),
    text: `-machine ${[domain.machine, ...given.map(([name, , v]) => `${name}=${v}`)].join(',')}`,
  };
}

/** Is it an `<iommu model='smmuv3'>` that viommu reads as `-device arm-smmuv3` (the RFC attributes)? */
export const smmuDevice = (i: Iommu): boolean => [...SMMU_SWITCHES, ...SMMU_NUMBERS].some((a) => i.driver[a] !== undefined);

/** `qemuBuildIOMMUCommandLine`: `intel-iommu` and `virtio-iommu` (the SMMUv3 is a machine option). */
export function iommuDevice(domain: Domain, io: Iommu, index: number): OptionEntry | undefined {
  const d = io.driver;
  const id = `iommu${index}`;
  switch (io.model) {
    case 'intel':
      return jsonDevice([
        ['driver', 'intel-iommu'],
        ['id', id],
        ['intremap', d.intremap],
        ['caching-mode', tristate(d.caching_mode)],
        ['eim', d.eim],
        ['device-iotlb', tristate(d.iotlb)],
        ['aw-bits', d.aw_bits === undefined ? undefined : Number(d.aw_bits) || undefined],
        ['dma-translation', tristate(d.dma_translation)],
      ]);
    case 'virtio':
      return jsonDevice([
        ['driver', 'virtio-iommu'],
        ['id', id],
        ['granule', io.granule],
        ['aw-bits', d.aw_bits === undefined ? undefined : Number(d.aw_bits) || undefined],
        ...addressProps(domain, io.info.addr),
      ]);
    case 'smmuv3':
      if (!smmuDevice(io)) return undefined;
      return jsonDevice([
        ['driver', 'arm-smmuv3'],
        ['primary-bus', 'pcie.0'],
        ['id', id],
        ...SMMU_SWITCHES.map((a): [string, Json | undefined] => [a, tristate(d[a])]),
        ...SMMU_NUMBERS.map((a): [string, Json | undefined] => [a, d[a] === undefined ? undefined : Number(d[a])]),
      ]);
  }
}

/** `qemuDomainAddressFindNewBusNr`: two below the lowest `busNr` in use (256 when none is). */
function newBusNr(domain: Domain, c: Controller): number {
  const lowest = Math.min(256, ...domain.controllers.flatMap((k) => (k.pci?.busNr === undefined ? [] : [k.pci.busNr])));
  if (lowest <= 2) {
    throw new LibvirtError(
      `unsupported configuration: No free busNr lower than current lowest busNr is available to auto-assign to bus ${c.info.addr?.bus ?? 0}. Must be manually assigned`,
    );
  }
  return lowest - 2;
}

/** `qemuBuildControllerPCIDevProps`; undefined for the root buses, which QEMU creates itself. */
export function controllerDevice(domain: Domain, c: Controller): OptionEntry | undefined {
  const o = c.pci!;
  if (o.model === 'pci-root' || o.model === 'pcie-root') return undefined;
  const driver = o.modelName ?? CONTROLLER_DEVICES[o.model];
  const id = o.alias ?? `pci.${c.index}`;
  const head: Props =
    o.model === 'pci-bridge' ? [['driver', driver], ['chassis_nr', o.chassisNr], ['id', id]]
    : o.model === 'pci-expander-bus' || o.model === 'pcie-expander-bus' ? [['driver', driver], ['bus_nr', (o.busNr ??= newBusNr(domain, c))], ['id', id]]
    : o.model === 'pcie-root-port' || o.model === 'pcie-switch-downstream-port'
      ? [['driver', driver], ['port', o.port], ['chassis', o.chassis], ['id', id], ['hotplug', o.hotplug]]
      : [['driver', driver], ['id', id]];
  return jsonDevice([...head, ...addressProps(domain, c.info.addr)]);
}

/** `qemuBuildPCIHostdevDevProps`, with the `iommufd` link of a `<driver iommufd='yes'/>`. */
export function hostdevDevice(domain: Domain, h: Hostdev): OptionEntry {
  return jsonDevice([
    ['driver', 'vfio-pci'],
    ['host', h.host],
    ['id', h.alias],
    ...addressProps(domain, h.info.addr),
    ['iommufd', h.iommufd ? 'iommufd0' : undefined],
  ]);
}
