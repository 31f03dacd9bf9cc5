import { InputError } from '@viommu/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { assignPciAddresses } from './libvirt/assign.js';
import { controllerDevice, hostdevDevice, iommuDevice, machineOption, placement, smmuDevice } from './libvirt/command-line.js';
import { readDomain, type Controller, type Domain } from './libvirt/domain.js';
import { LibvirtError } from './libvirt/pci-address.js';
import { BadDomain, type Node } from './libvirt/xml.js';
import { checkSize, MAX_DOMAIN_XML } from './limits.js';
import type { OptionEntry, VmConfig } from './vm-config.js';

/** fast-xml-parser's validation error in words: the tags left open at the end, or the message at its line and column. */
function xmlProblem(err: { msg: string; line: number; col?: number }): string {
  const open = /^Invalid '(\[.*\])' found\.$/s.exec(err.msg);
  if (open) return `${(JSON.parse(open[1]!) as string[]).map((t) => `<${t}>`).join(', ')} not closed at the end (cut short?)`;
  return `${err.msg.replace(/\.$/, '')} (line ${err.line}${err.col === undefined ? '' : `, column ${err.col}`})`;
}

/**
 * The command line libvirt's `qemuBuildCommandLine` runs for `domain`, as far as the vIOMMU
 * negotiation goes: the IOMMU devices, the PCI controllers (those libvirt adds included), the
 * vfio `<hostdev>`s at the addresses libvirt assigns, and one `-object iommufd` for the hostdevs
 * that use it. Other devices take their PCI slots but are left off (listed in the notes).
 */
function commandLine(domain: Domain): VmConfig {
  assignPciAddresses(domain);
  const devices: OptionEntry[] = [];
  domain.iommus.forEach((io, i) => {
    const e = iommuDevice(domain, io, i);
    if (e) devices.push(e);
  });
  for (const c of domain.controllers.filter((k) => k.pci).sort((a, b) => a.index - b.index)) {
    const e = controllerDevice(domain, c);
    if (e) devices.push(e);
  }
  for (const h of domain.hostdevs) if (!h.unassigned) devices.push(hostdevDevice(domain, h));
  const notes = [...domain.notes];
  if (domain.iommus.some((i) => i.model === 'smmuv3' && smmuDevice(i))) {
    notes.push("<iommu model='smmuv3'> accel/ats/ril/ssidsize/oas: read as -device arm-smmuv3 (libvirt's RFC series; released libvirt has only -machine iommu=smmuv3)");
  }
  for (const d of domain.devices) {
    if (d.info.addr && d.group !== 'hostdev' && d.group !== 'iommu' && !(d as Controller).pci) {
      notes.push(`${d.what} is at ${placement(domain, d.info.addr)} (not part of the vIOMMU negotiation)`);
    }
  }
  const objects: OptionEntry[] = domain.hostdevs.some((h) => h.iommufd && !h.unassigned)
    ? [{ type: 'iommufd', pairs: [{ key: 'id', value: 'iommufd0' }], id: 'iommufd0', location: '-object {"qom-type":"iommufd","id":"iommufd0"}' }]
    : [];
  return {
    machine: machineOption(domain),
    accel: domain.virtType === 'kvm' ? 'kvm' : domain.virtType === 'qemu' ? 'tcg' : undefined,
    objects,
    devices,
    globals: {},
    notes,
  };
}

/**
 * Reads a libvirt domain XML into the QEMU command line libvirt would run for it (see
 * `commandLine`): libvirt's defaults for the machine (`pcie-root`, the default USB controller and
 * memballoon on x86, an Intel IOMMU with EIM over 255 vCPUs, the split I/O APIC for interrupt
 * remapping), its PCI address assignment, and its own refusals.
 * @throws InputError when the text is not XML, its root is not `<domain>`, it is over
 *   `MAX_DOMAIN_XML`, a value cannot be read, or libvirt itself refuses the domain (with
 *   libvirt's message, `libvirt refuses this domain: …`).
 */
export function parseLibvirtDomain(xml: string, where: string): VmConfig {
  checkSize(xml.length, MAX_DOMAIN_XML, 'domain XML', where);
  if (xml.trim() === '') throw new InputError('empty file (expected a libvirt domain XML)', where);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new InputError(`not well-formed XML: ${xmlProblem(valid.err)}`, where);
  let doc: Node;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseAttributeValue: false, parseTagValue: false }).parse(xml, true) as Node;
  } catch (e) {
    throw new InputError(`not well-formed XML: ${(e as Error).message.split('\n')[0]}`, where);
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  const dom = doc.domain as Node | undefined;
  if (!dom || typeof dom !== 'object') {
    throw new InputError(`not a libvirt domain (root element is ${roots.length ? `<${roots[0]}>` : 'missing'})`, where);
  }
  try {
    return commandLine(readDomain(dom));
  } catch (e) {
    if (e instanceof BadDomain) throw new InputError(e.message, where);
    if (e instanceof LibvirtError) throw new InputError(`libvirt refuses this domain: ${e.message}`, where);
    throw e;
  }
}
