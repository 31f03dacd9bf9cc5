import type { Family } from './connect.js';
import type { Iommu, IommuModel } from './domain.js';
import { CONNECT, LibvirtError } from './pci-address.js';
import { asArray, attr, BadDomain, child, readAddress, type Node } from './xml.js';

/** `QEMU_MAX_VCPUS_WITHOUT_EIM` (`qemu_domain.h`). */
export const MAX_VCPUS_WITHOUT_EIM = 255;

/** The `<iommu><driver>` attributes of the Intel model (`virDomainIOMMUDefParseXML`). */
const INTEL_ATTRS = ['intremap', 'caching_mode', 'eim', 'iotlb', 'dma_translation'] as const;

/** The accelerated-SMMUv3 `<driver>` attributes of libvirt's RFC series (not in a libvirt release). */
export const SMMU_SWITCHES = ['accel', 'ats', 'ril'] as const;
export const SMMU_NUMBERS = ['ssidsize', 'oas'] as const;

/**
 * The checks libvirt makes of an `<iommu>` before QEMU runs: its attribute values
 * (`virDomainIOMMUDefParseXML`), the attributes other models refuse (`virDomainIOMMUDefValidate`),
 * where a virtio-iommu may be (`qemuValidateDomainDeviceDefIOMMU`).
 * @throws LibvirtError with libvirt's message; BadDomain for a value libvirt cannot parse.
 */
function validate(model: IommuModel, driver: Readonly<Record<string, string>>, family: Family | undefined, addressType: string | undefined): void {
  for (const a of [...INTEL_ATTRS, ...(model === 'smmuv3' ? SMMU_SWITCHES : [])]) {
    const v = driver[a];
    if (v !== undefined && v !== 'on' && v !== 'off') throw new BadDomain(`<iommu model='${model}'><driver ${a}='${v}'>: libvirt takes 'on' or 'off'`);
  }
  for (const a of ['aw_bits', ...(model === 'smmuv3' ? SMMU_NUMBERS : [])]) {
    const v = driver[a];
    if (v !== undefined && !/^[0-9]+$/.test(v)) throw new BadDomain(`<iommu model='${model}'><driver ${a}='${v}'>: not a number`);
  }
  const aw = driver.aw_bits;
  if (model !== 'intel' && (INTEL_ATTRS.some((a) => driver[a] !== undefined) || (model === 'smmuv3' && aw !== undefined))) {
    throw new LibvirtError(`XML error: iommu model '${model}' doesn't support some additional attributes`);
  }
  if (model === 'virtio') {
    if (family !== 'q35' && family !== 'virt') {
      throw new LibvirtError("unsupported configuration: IOMMU device: 'virtio' is only supported with Q35 and ARM Virt machines");
    }
    if (addressType !== undefined && addressType !== 'pci') throw new LibvirtError("unsupported configuration: IOMMU device: 'virtio' needs a PCI address");
  }
}

/**
 * The `<iommu>`s, checked as libvirt does; over 255 vCPUs on q35 libvirt adds an Intel IOMMU
 * with `intremap` and `eim` (`qemuDomainDefAddDefaultDevices`) or turns them on in the one given
 * (`qemuDomainIOMMUDefPostParse`). The virtio model is an integrated PCI device (bus 0).
 */
export function readIommus(devs: Node, family: Family | undefined, pcieFlags: number, vcpus: number, notes: string[]): Iommu[] {
  const iommus = asArray(devs.iommu).map((io, i): Iommu => {
    const model = attr(io, 'model');
    if (model !== 'intel' && model !== 'smmuv3' && model !== 'virtio') {
      throw new BadDomain(`<iommu model='${model ?? ''}'> (#${i + 1}) is not an IOMMU model viommu reads (intel, smmuv3, virtio)`);
    }
    const drv = child(io, 'driver');
    const driver = Object.fromEntries(Object.entries(drv ?? {}).flatMap(([k, v]) => (k.startsWith('@_') ? [[k.slice(2), String(v)]] : [])));
    const what = `<iommu model='${model}'>`;
    validate(model, driver, family, attr(child(io, 'address'), 'type'));
    const flags = model === 'virtio' ? pcieFlags | CONNECT.INTEGRATED : 0;
    return { group: 'iommu', what, model, driver, granule: attr(child(drv, 'granule'), 'mode'), info: { flags, ...(flags ? readAddress(io, what) : {}) } };
  });
  if (family === 'q35' && vcpus > MAX_VCPUS_WITHOUT_EIM) {
    if (iommus.length === 0) {
      iommus.push({ group: 'iommu', what: "<iommu model='intel'>", model: 'intel', driver: { intremap: 'on', eim: 'on' }, info: { flags: 0 } });
      notes.push(`libvirt adds <iommu model='intel'><driver intremap='on' eim='on'/> for ${vcpus} vCPUs`);
    } else if (iommus[0]!.model === 'intel') {
      iommus[0] = { ...iommus[0]!, driver: { intremap: 'on', eim: 'on', ...iommus[0]!.driver } };
    }
  }
  return iommus;
}
