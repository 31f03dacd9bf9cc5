import { InputError, type OptionPair } from '@viommu/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { OptionEntry, VmConfig } from './vm-config.js';
import { checkSize, MAX_DOMAIN_XML } from './limits.js';

type Node = Record<string, unknown>;

/** libvirt `<controller type='pci' model=…>` → the QEMU device libvirt creates (`qemuBuildControllerPCIDevStr`). */
const CONTROLLER_MODELS: Readonly<Record<string, string>> = {
  'pcie-root-port': 'pcie-root-port',
  'pcie-to-pci-bridge': 'pcie-pci-bridge',
  'pci-bridge': 'pci-bridge',
  'dmi-to-pci-bridge': 'i82801b11-bridge',
  'pcie-switch-upstream-port': 'x3130-upstream',
  'pcie-switch-downstream-port': 'xio3130-downstream',
  'pcie-expander-bus': 'pxb-pcie',
};

/** `<iommu model='intel'><driver …/>` attributes → intel-iommu properties (`qemuBuildIOMMUCommandLine`). */
const INTEL_DRIVER_ATTRS: Readonly<Record<string, string>> = {
  intremap: 'intremap',
  caching_mode: 'caching-mode',
  eim: 'eim',
  iotlb: 'device-iotlb',
  aw_bits: 'aw-bits',
  dma_translation: 'dma-translation',
};

/**
 * `<iommu model='smmuv3'><driver …/>` attributes → `-device arm-smmuv3` properties. The attribute
 * names follow libvirt's intel ones; they were not checked against libvirt's source.
 */
const SMMU_DRIVER_ATTRS: Readonly<Record<string, string>> = {
  accel: 'accel',
  ats: 'ats',
  ril: 'ril',
  ssidsize: 'ssidsize',
  oas: 'oas',
};

const asArray = (v: unknown): Node[] => (v === undefined ? [] : Array.isArray(v) ? (v as Node[]) : [v as Node]);
const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.[`@_${name}`];
  return v === undefined ? undefined : String(v);
};
const onOff = (v: string): string => (v === 'yes' ? 'on' : v === 'no' ? 'off' : v);

function entry(type: string, pairs: OptionPair[]): OptionEntry {
  const text = [type, ...pairs.map((p) => `${p.key}=${p.value.replace(/,/g, ',,')}`)].join(',');
  const id = pairs.find((p) => p.key === 'id')?.value;
  return { type, pairs, id, location: `-device ${text}` };
}

/** libvirt's PCI address `bus='0x01' slot='0x02' function='0x0'` → `bus=`/`addr=` pairs. */
function pciAddress(addr: Node | undefined, busName: (index: number) => string, where: string): OptionPair[] {
  if (!addr || attr(addr, 'type') !== 'pci') return [];
  const num = (k: string) => {
    const s = attr(addr, k) ?? '0';
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new InputError(`<address ${k}='${s}'> is not a number`, where);
    return n;
  };
  return [
    { key: 'bus', value: busName(num('bus')) },
    { key: 'addr', value: `0x${num('slot').toString(16)}.${num('function')}` },
  ];
}

/** fast-xml-parser's validation error in words: the tags left open at the end, or the message at its line and column. */
function xmlProblem(err: { msg: string; line: number; col?: number }): string {
  const open = /^Invalid '(\[.*\])' found\.$/s.exec(err.msg);
  if (open) return `${(JSON.parse(open[1]!) as string[]).map((t) => `<${t}>`).join(', ')} not closed at the end (cut short?)`;
  return `${err.msg.replace(/\.$/, '')} (line ${err.line}${err.col === undefined ? '' : `, column ${err.col}`})`;
}

/**
 * Reads a libvirt domain XML into the same model as a QEMU command line, the way libvirt's
 * `qemuBuildCommandLine` would emit it: `<os><type machine>`, `<domain type>` for the
 * accelerator, `<features><ioapic driver='qemu'/>` → `kernel-irqchip=split`, PCI controllers
 * (bus `pci.N` for index N), `<iommu>` with its `<driver>`, and PCI `<hostdev>`s (`<driver
 * iommufd='yes'/>` links them to one `-object iommufd`).
 * @throws InputError when the text is not XML, its root is not `<domain>`, or it is over `MAX_DOMAIN_XML`.
 */
export function parseLibvirtDomain(xml: string, where: string): VmConfig {
  checkSize(xml.length, MAX_DOMAIN_XML, 'domain XML', where);
  if (xml.trim() === '') throw new InputError('empty file (expected a libvirt domain XML)', where);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new InputError(`not well-formed XML: ${xmlProblem(valid.err)}`, where);
  let doc: Node;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseAttributeValue: false }).parse(xml, true) as Node;
  } catch (e) {
    throw new InputError(`not well-formed XML: ${(e as Error).message.split('\n')[0]}`, where);
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  const dom = doc.domain as Node | undefined;
  if (!dom || typeof dom !== 'object') {
    throw new InputError(`not a libvirt domain (root element is ${roots.length ? `<${roots[0]}>` : 'missing'})`, where);
  }
  const notes: string[] = [];
  const osType = (dom.os as Node | undefined)?.type as Node | string | undefined;
  const machine = typeof osType === 'object' ? attr(osType, 'machine') : undefined;
  const arch = typeof osType === 'object' ? attr(osType, 'arch') : undefined;
  const machineType = machine ?? (arch === 'aarch64' ? 'virt' : arch ? 'q35' : undefined);
  const express = machineType !== undefined && !/^pc(-i440fx|$)/.test(machineType);
  const busName = (i: number) => (i === 0 ? (express ? 'pcie.0' : 'pci.0') : `pci.${i}`);
  const machineProps: Record<string, string> = {};
  const features = dom.features as Node | undefined;
  if (attr(features?.ioapic as Node | undefined, 'driver') === 'qemu') machineProps['kernel-irqchip'] = 'split';
  const devs = (dom.devices ?? {}) as Node;
  const devices: OptionEntry[] = [];
  const objects: OptionEntry[] = [];
  const controllers = asArray(devs.controller)
    .filter((c) => attr(c, 'type') === 'pci')
    .sort((a, b) => Number(attr(a, 'index') ?? 0) - Number(attr(b, 'index') ?? 0));
  for (const c of controllers) {
    const model = attr(c, 'model') ?? '';
    if (model === 'pcie-root' || model === 'pci-root') continue;
    const type = CONTROLLER_MODELS[model];
    if (!type) throw new InputError(`<controller type='pci' model='${model}'> is not a PCI controller model viommu knows`, where);
    devices.push(entry(type, [{ key: 'id', value: busName(Number(attr(c, 'index'))) }, ...pciAddress(c.address as Node, busName, where)]));
  }
  for (const io of asArray(devs.iommu)) {
    const model = attr(io, 'model');
    const drv = io.driver as Node | undefined;
    const props = (map: Readonly<Record<string, string>>): OptionPair[] =>
      Object.entries(map).flatMap(([a, p]) => (attr(drv, a) === undefined ? [] : [{ key: p, value: onOff(attr(drv, a)!) }]));
    if (model === 'intel') devices.unshift(entry('intel-iommu', props(INTEL_DRIVER_ATTRS)));
    else if (model === 'virtio') devices.unshift(entry('virtio-iommu-pci', []));
    else if (model === 'smmuv3') {
      const pairs = props(SMMU_DRIVER_ATTRS);
      if (pairs.length === 0) machineProps.iommu = 'smmuv3';
      else devices.unshift(entry('arm-smmuv3', [{ key: 'primary-bus', value: busName(0) }, ...pairs]));
    } else throw new InputError(`<iommu model='${model ?? ''}'> is not an IOMMU model libvirt has`, where);
  }
  let iommufd = false;
  asArray(devs.hostdev).forEach((h, i) => {
    if (attr(h, 'type') !== 'pci') {
      notes.push(`ignored <hostdev type='${attr(h, 'type') ?? ''}'>`);
      return;
    }
    const src = (h.source as Node | undefined)?.address as Node | undefined;
    const hexOf = (k: string, w: number) => Number(attr(src, k) ?? 0).toString(16).padStart(w, '0');
    if (!src) throw new InputError(`<hostdev> #${i + 1} has no <source><address>`, where);
    const host = `${hexOf('domain', 4)}:${hexOf('bus', 2)}:${hexOf('slot', 2)}.${Number(attr(src, 'function') ?? 0)}`;
    const pairs: OptionPair[] = [{ key: 'host', value: host }, { key: 'id', value: `hostdev${i}` }, ...pciAddress(h.address as Node, busName, where)];
    if (attr(h.driver as Node | undefined, 'iommufd') === 'yes') {
      iommufd = true;
      pairs.push({ key: 'iommufd', value: 'iommufd0' });
    }
    devices.push(entry('vfio-pci', pairs));
  });
  if (iommufd) objects.push({ type: 'iommufd', pairs: [{ key: 'id', value: 'iommufd0' }], id: 'iommufd0', location: '-object iommufd,id=iommufd0' });
  const domType = attr(dom, 'type');
  return {
    machine: {
      type: machineType,
      props: machineProps,
      text: machineType ? `-machine ${[machineType, ...Object.entries(machineProps).map(([k, v]) => `${k}=${v}`)].join(',')}` : undefined,
    },
    accel: domType === 'kvm' ? 'kvm' : domType === 'qemu' ? 'tcg' : undefined,
    objects,
    devices,
    globals: {},
    notes,
  };
}
