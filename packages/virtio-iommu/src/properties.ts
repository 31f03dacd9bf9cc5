import type { ProfileId, PropertyDecl, PropertyType, PropertyValue } from '@viommu/core';
import { VIRTIO_IOMMU_PROFILES } from './profiles.js';

/** QOM type names (`TYPE_VIRTIO_IOMMU_PCI`, `TYPE_VIRTIO_IOMMU`, `TYPE_VIRTIO_IOMMU_MEMORY_REGION`). */
export const TYPE_VIRTIO_IOMMU_PCI = 'virtio-iommu-pci';
export const TYPE_VIRTIO_IOMMU = 'virtio-iommu-device';
export const TYPE_VIRTIO_IOMMU_MEMORY_REGION = 'virtio-iommu-memory-region';

/** `GranuleMode` (qapi/virtio.json, 9.0+). */
export const GRANULE_MODES = ['4k', '8k', '16k', '64k', 'host'] as const;
export type GranuleMode = (typeof GRANULE_MODES)[number];

const decl = (name: string, type: PropertyType, dflt: PropertyValue, field?: string, description?: string): PropertyDecl => ({
  name,
  type,
  default: dflt,
  ...(field ? { field } : {}),
  ...(description ? { description } : {}),
});

/**
 * `virtio_iommu_properties` (aliased onto the PCI proxy by `virtio_instance_init_common`).
 * 7.2: `primary-bus`, `boot-bypass`; 9.0 adds `granule` and `aw-bits`.
 */
function deviceProperties(profile: ProfileId): PropertyDecl[] {
  const out = [
    decl('primary-bus', 'string', '', 'primary_bus', 'link<PCI>: replaced by the bus the proxy sits on at realize'),
    decl('boot-bypass', 'bool', true, 'boot_bypass', 'endpoints not attached to a domain bypass translation'),
  ];
  if (VIRTIO_IOMMU_PROFILES[profile].granuleAwBits) {
    out.push(
      decl('granule', { enum: GRANULE_MODES }, 'host', 'granule_mode', 'smallest page size the guest may map (host: the host page size)'),
      decl('aw-bits', 'uint8', 64, 'aw_bits', 'input address width: input_range.end = 2^aw-bits - 1'),
    );
  }
  return out;
}

/** `virtio_properties` common to every virtio device (hw/virtio/virtio.c), 7.2. */
const VIRTIO_DEVICE_PROPERTIES: readonly PropertyDecl[] = [
  decl('any_layout', 'bool', true),
  decl('event_idx', 'bool', true),
  decl('indirect_desc', 'bool', true),
  decl('iommu_platform', 'bool', false),
  decl('notify_on_empty', 'bool', true),
  decl('packed', 'bool', false),
  decl('queue_reset', 'bool', true),
  decl('use-disabled-flag', 'bool', true),
  decl('use-started', 'bool', true),
  decl('x-disable-legacy-check', 'bool', false),
];

/**
 * The PCI device and virtio-pci proxy properties of `virtio-iommu-pci` in 7.2. `addr` is parsed
 * on its own (`slot[.function]`).
 */
const PCI_PROXY_PROPERTIES: readonly PropertyDecl[] = [
  decl('acpi-index', 'uint32', 0),
  decl('addr', 'int32', -1, 'devfn', 'slot and optional function number, e.g. 06.0 or 06'),
  decl('aer', 'bool', false),
  decl('ats', 'bool', false),
  decl('class', 'uint32', 0, 'class_code'),
  decl('disable-legacy', 'OnOffAuto', 'auto'),
  decl('disable-modern', 'bool', false),
  decl('failover_pair_id', 'string', ''),
  decl('migrate-extra', 'bool', true),
  decl('modern-pio-notify', 'bool', false),
  decl('multifunction', 'bool', false),
  decl('page-per-vq', 'bool', false),
  decl('rombar', 'uint32', 1),
  decl('romfile', 'string', ''),
  decl('romsize', 'uint32', 0xffffffff),
  decl('virtio-pci-bus-master-bug-migration', 'bool', false),
  decl('x-ats-page-aligned', 'bool', true),
  decl('x-disable-pcie', 'bool', false),
  decl('x-ignore-backend-features', 'bool', false),
  decl('x-pcie-deverr-init', 'bool', true),
  decl('x-pcie-extcap-init', 'bool', true),
  decl('x-pcie-flr-init', 'bool', true),
  decl('x-pcie-lnkctl-init', 'bool', true),
  decl('x-pcie-lnksta-dllla', 'bool', true),
  decl('x-pcie-pm-init', 'bool', true),
];

/** What 10.0 adds or changes among the generic properties (`-device virtio-iommu-pci,help` of 10.0.2). */
const VIRTIO_DEVICE_PROPERTIES_10_0: readonly PropertyDecl[] = [decl('in_order', 'bool', false)];
const PCI_PROXY_PROPERTIES_10_0: readonly PropertyDecl[] = [
  decl('busnr', 'uint8', 0, 'bus_nr', 'PCI bus number of a pxb (type busnr)'),
  decl('rombar', 'int32', -1),
  decl('x-max-bounce-buffer-size', 'uint64', 4096n, 'max_bounce_buffer_size', 'size in bytes (QEMU also takes size suffixes)'),
  decl('x-pcie-ari-nextfn-1', 'bool', false),
  decl('x-pcie-err-unc-mask', 'bool', true),
  decl('x-pcie-ext-tag', 'bool', true),
  decl('x-pcie-pm-no-soft-reset', 'bool', false),
];

/** `base` with `changes` applied by name (added or replaced). */
function withChanges(base: readonly PropertyDecl[], changes: readonly PropertyDecl[]): PropertyDecl[] {
  const byName = new Map(base.map((d) => [d.name, d]));
  for (const d of changes) byName.set(d.name, d);
  return [...byName.values()];
}

/** Properties QOM lists but refuses to set: `Property '<type>.<name>' is not writable`. */
export const READONLY_PROPERTIES: readonly string[] = ['virtio-backend'];

/** 7.2's array length property (`DEFINE_PROP_ARRAY` before 8.2). */
export const LEN_RESERVED_REGIONS = 'len-reserved-regions';

const byNameOrder = (a: PropertyDecl, b: PropertyDecl) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Every `virtio-iommu-device` property of `profile` (its own and the virtio ones), sorted by name as QEMU's help prints them. */
export function virtioIommuDeviceProperties(profile: ProfileId): readonly PropertyDecl[] {
  const is10 = VIRTIO_IOMMU_PROFILES[profile].propertyList === '10.0';
  const virtio = is10 ? withChanges(VIRTIO_DEVICE_PROPERTIES, VIRTIO_DEVICE_PROPERTIES_10_0) : VIRTIO_DEVICE_PROPERTIES;
  return [...virtio, ...deviceProperties(profile)].sort(byNameOrder);
}

/** Every `virtio-iommu-pci` property of `profile`: the proxy's and the aliased device's, sorted by name. */
export function virtioIommuPciProperties(profile: ProfileId): readonly PropertyDecl[] {
  const prof = VIRTIO_IOMMU_PROFILES[profile];
  const proxy = prof.propertyList === '10.0' ? withChanges(PCI_PROXY_PROPERTIES, PCI_PROXY_PROPERTIES_10_0) : PCI_PROXY_PROPERTIES;
  const all = [...proxy, ...virtioIommuDeviceProperties(profile)];
  if (prof.reservedRegionsProp === 'len-array') {
    all.push(decl(LEN_RESERVED_REGIONS, 'uint32', 0, 'nb_reserved_regions', 'number of reserved-regions[i] elements'));
  }
  return all.sort(byNameOrder);
}
