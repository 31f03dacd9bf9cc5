import type { Hostdev, PciDevice } from './domain.js';
import { LibvirtError } from './pci-address.js';
import { asArray, attr, BadDomain, child, number, readAddress, type Node } from './xml.js';

/** A vfio PCI hostdev: `<driver name>` must be vfio (`qemuBuildPCIHostdevDevProps`). */
function hostdev(node: Node, src: Node | undefined, what: string, alias: string, flags: number, notes: string[]): Hostdev {
  if (!src) throw new BadDomain(`${what} has no <source><address>`);
  const driver = child(node, 'driver');
  const name = attr(driver, 'name');
  if (name !== undefined && name !== 'vfio') throw new LibvirtError(`internal error: invalid PCI passthrough type '${name}'`);
  const at = `${what} <source><address>`;
  const hex = (k: string, w: number) => (number(src, k, at) ?? 0).toString(16).padStart(w, '0');
  const host = `${hex('domain', 4)}:${hex('bus', 2)}:${hex('slot', 2)}.${number(src, 'function', at) ?? 0}`;
  const unassigned = attr(child(node, 'address'), 'type') === 'unassigned';
  if (unassigned) notes.push(`${what} (${host}): <address type='unassigned'/>, not on the command line`);
  return { group: 'hostdev', what, host, alias, iommufd: attr(driver, 'iommufd') === 'yes', unassigned, info: { flags, ...readAddress(node, what) } };
}

/**
 * The vfio-pci devices in libvirt's `def->hostdevs` order: `<interface type='hostdev'>`s first
 * (parsed with the interfaces), then PCI `<hostdev>`s. On a PCI Express machine libvirt reads
 * sysfs to tell a conventional host device from an Express one; viommu takes them as Express,
 * libvirt's own guess when it cannot tell (`qemuDomainDeviceCalculatePCIConnectFlags`).
 * Other hostdevs are noted; mediated and vhost-scsi ones still take a PCI slot (in the same order).
 */
export function readHostdevs(devs: Node, pcieFlags: number, notes: string[]): PciDevice[] {
  const all: PciDevice[] = [];
  // qemuAssignDeviceAliases: hostdevN over the interfaces of type hostdev, then every <hostdev>
  let n = 0;
  asArray(devs.interface).forEach((net, i) => {
    if (attr(net, 'type') !== 'hostdev') return;
    all.push(hostdev(net, child(child(net, 'source'), 'address'), `<interface type='hostdev'> #${i + 1}`, `hostdev${n++}`, pcieFlags, notes));
  });
  asArray(devs.hostdev).forEach((h, i) => {
    const type = attr(h, 'type');
    const what = `<hostdev type='${type ?? ''}'> #${i + 1}`;
    const subsystem = (attr(h, 'mode') ?? 'subsystem') === 'subsystem';
    const alias = `hostdev${n++}`;
    if (subsystem && type === 'pci') all.push(hostdev(h, child(child(h, 'source'), 'address'), what, alias, pcieFlags, notes));
    else if (subsystem && (type === 'scsi_host' || type === 'mdev')) {
      notes.push(`${what}: takes a PCI slot, not modelled`);
      all.push({ group: 'hostdev', what, info: { flags: pcieFlags, ...readAddress(h, what) } });
    } else notes.push(`ignored ${what}`);
  });
  return all;
}

/** Is it one of the vfio-pci devices (not a mediated or vhost-scsi hostdev)? */
export const isVfioHostdev = (d: PciDevice): d is Hostdev => 'host' in d;
