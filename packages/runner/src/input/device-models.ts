import { QemuError, type ProfileId } from '@viommu/core';
import type { Arch } from '../scenario/machine.js';
import { CAPTURED_DEVICE_MODELS } from './device-models-data.js';

/** Names by key (a bus type, a machine family). */
type NameLists = Readonly<Record<string, readonly string[]>>;

/** What one QEMU binary tells about its device models (`scripts/gen-device-models.mjs`). */
export interface CapturedDeviceModels {
  /** The first line of the binary's `--version`. */
  readonly qemu: string;
  /** `-device help`: the user-creatable models by the bus type they plug into (`''`: none). */
  readonly buses: NameLists;
  /** `-device help`'s `alias "…"`: alias → model (`qdev_alias_table` as this target resolves it). */
  readonly aliases: Readonly<Record<string, string>>;
  /**
   * Device types (`qom-list-types`) `-device` calls abstract. A type only a module defines and
   * the module's modinfo does not name is unknown to `-device`, so it is in neither list.
   */
  readonly abstract: readonly string[];
  /** Device types `-device` calls not pluggable (`user_creatable` false). */
  readonly notUserCreatable: readonly string[];
  /** By machine family: the `bus System` models it accepts (`machine_class_allow_dynamic_sysbus_dev`). */
  readonly dynamicSysbus: NameLists;
}

/** What a release adds to the captured lists of the release it derives from, as read in upstream source. */
interface DerivedDeviceModels {
  readonly from: keyof typeof CAPTURED_DEVICE_MODELS;
  readonly add: Readonly<Partial<Record<Arch, { readonly buses?: NameLists; readonly dynamicSysbus?: NameLists }>>>;
}

/**
 * 10.2 and upstream have no binary to ask: 10.0's lists plus the user-creatable models added
 * since that matter to passthrough and vIOMMU configurations: `vfio-user-pci` (10.1,
 * `hw/vfio-user/pci.c`, `VFIO_USER` defaults to y with `VFIO_PCI`) and `arm-smmuv3`
 * (10.2: `user_creatable`, and `virt_machine_class_init` allows `TYPE_ARM_SMMUV3` as a dynamic
 * sysbus device). Models removed after 10.0 are still listed, so they stay notes.
 */
const AFTER_10_0: DerivedDeviceModels = {
  from: '10.0',
  add: {
    x86_64: { buses: { PCI: ['vfio-user-pci'] } },
    aarch64: { buses: { PCI: ['vfio-user-pci'], System: ['arm-smmuv3'] }, dynamicSysbus: { virt: ['arm-smmuv3'] } },
  },
};

const DERIVED: Readonly<Record<Exclude<ProfileId, keyof typeof CAPTURED_DEVICE_MODELS>, DerivedDeviceModels>> = {
  '10.2': AFTER_10_0,
  upstream: AFTER_10_0,
};

/** Where a user-creatable model plugs in. */
export interface DeviceModel {
  /** The model's type name (an alias resolved: `virtio-net` → `virtio-net-pci` on x86_64). */
  readonly typeName: string;
  /** `-device help`'s bus type (`PCI`, `System`, `usb-bus`, …), `''` for none. */
  readonly bus: string;
}

/** The device models one QEMU binary knows, for lookups by name. */
export class DeviceModels {
  readonly #models = new Map<string, DeviceModel>();
  readonly #aliases: ReadonlyMap<string, string>;
  readonly #abstract: ReadonlySet<string>;
  readonly #notUserCreatable: ReadonlySet<string>;
  readonly #dynamicSysbus: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(
    /** Where the names come from: the binary's `--version`, or how a derived list was made. */
    readonly source: string,
    captured: Omit<CapturedDeviceModels, 'qemu'>,
  ) {
    for (const [bus, names] of Object.entries(captured.buses)) for (const typeName of names) this.#models.set(typeName, { typeName, bus });
    this.#aliases = new Map(Object.entries(captured.aliases));
    this.#abstract = new Set(captured.abstract);
    this.#notUserCreatable = new Set(captured.notUserCreatable);
    this.#dynamicSysbus = new Map(Object.entries(captured.dynamicSysbus).map(([family, names]) => [family, new Set(names)]));
  }

  /**
   * `qdev_get_device_class` (`system/qdev-monitor.c`): the model `-device <driver>` creates on a
   * machine of `family`, in QEMU's order: the type (an alias only when no type has the name),
   * abstract, `user_creatable`, then the machine's dynamic sysbus list.
   * @throws QemuError with QEMU's text (stage `option-parse`) when QEMU refuses the name.
   */
  lookup(driver: string, family: string): DeviceModel {
    if (this.#abstract.has(driver)) throw new QemuError("Parameter 'driver' expects a non-abstract device type", 'option-parse');
    if (this.#notUserCreatable.has(driver)) throw new QemuError("Parameter 'driver' expects a pluggable device type", 'option-parse');
    const model = this.#models.get(driver) ?? this.#models.get(this.#aliases.get(driver) ?? '');
    if (!model) throw new QemuError(`'${driver}' is not a valid device model name`, 'option-parse');
    if (model.bus === 'System' && !this.#dynamicSysbus.get(family)?.has(model.typeName)) {
      throw new QemuError("Parameter 'driver' expects a dynamic sysbus device type for the machine", 'option-parse');
    }
    return model;
  }
}

const cache = new Map<string, DeviceModels>();

/**
 * The device models of `qemu-system-<arch>` in `profile`: captured from the binary for 7.2 and
 * 10.0, derived from 10.0 and upstream source for 10.2 and upstream (see {@link DERIVED}).
 */
export function deviceModels(profile: ProfileId, arch: Arch): DeviceModels {
  const key = `${profile}/${arch}`;
  let models = cache.get(key);
  if (!models) {
    models = profile === '7.2' || profile === '10.0' ? captured(profile, arch) : derived(DERIVED[profile], profile, arch);
    cache.set(key, models);
  }
  return models;
}

function captured(profile: keyof typeof CAPTURED_DEVICE_MODELS, arch: Arch): DeviceModels {
  const c = CAPTURED_DEVICE_MODELS[profile][arch];
  return new DeviceModels(c.qemu, c);
}

function derived(d: DerivedDeviceModels, profile: ProfileId, arch: Arch): DeviceModels {
  const base = CAPTURED_DEVICE_MODELS[d.from][arch];
  const add = d.add[arch] ?? {};
  const added = new Set(Object.values(add.buses ?? {}).flat());
  const merge = (a: NameLists, b: NameLists = {}) =>
    Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, [...(a[k] ?? []), ...(b[k] ?? [])]]));
  return new DeviceModels(`derived for ${profile}: ${base.qemu} plus upstream additions`, {
    buses: merge(base.buses, add.buses),
    aliases: base.aliases,
    abstract: base.abstract,
    notUserCreatable: base.notUserCreatable.filter((n) => !added.has(n)),
    dynamicSysbus: merge(base.dynamicSysbus, add.dynamicSysbus),
  });
}
