/** PCIe extended capability ids (PCI Express Base Specification §7.6; Linux `PCI_EXT_CAP_ID_*`). */
const PCI_EXT_CAP_ID_ATS = 0x0f;
const PCI_EXT_CAP_ID_PASID = 0x1b;
/** Extended capabilities start after the 256-byte conventional space. */
const PCI_CFG_SPACE_SIZE = 0x100;
const PCI_CFG_SPACE_EXP_SIZE = 0x1000;

/** What the extended configuration space says about PASID and ATS (`pci_pasid_status`, `pci_ats_supported`). */
export interface PciExtCaps {
  /** Max PASID Width of the PASID capability register (0: no PASID capability). */
  readonly pasidLog2: number;
  /** PASID control register: Execute / Privileged Mode Permission Enable (what iommufd reports as `IOMMU_HW_CAP_PCI_PASID_*`). */
  readonly pasidExec: boolean;
  readonly pasidPriv: boolean;
  readonly ats: boolean;
}

/**
 * Walks the extended capability list of a device's `config` bytes. Undefined when the
 * extended space was not readable (fewer than 4096 bytes: sysfs gives non-root readers 256, or
 * 64) or is all zeros (what `tar` pads a short sysfs read with).
 */
export function pciExtCaps(config: Uint8Array): PciExtCaps | undefined {
  if (config.length < PCI_CFG_SPACE_EXP_SIZE) return undefined;
  const ext = config.subarray(PCI_CFG_SPACE_SIZE, PCI_CFG_SPACE_EXP_SIZE);
  if (ext.every((b) => b === 0)) return undefined;
  const view = new DataView(config.buffer, config.byteOffset, config.byteLength);
  let caps: PciExtCaps = { pasidLog2: 0, pasidExec: false, pasidPriv: false, ats: false };
  // pci_find_next_ext_capability: at most (4096 - 256) / 8 headers, each dword-aligned
  for (let pos = PCI_CFG_SPACE_SIZE, ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8; pos >= PCI_CFG_SPACE_SIZE && ttl > 0; ttl--) {
    const header = view.getUint32(pos, true);
    if (header === 0) break;
    const id = header & 0xffff;
    if (id === PCI_EXT_CAP_ID_ATS) caps = { ...caps, ats: true };
    if (id === PCI_EXT_CAP_ID_PASID) {
      const cap = view.getUint16(pos + 4, true);
      const ctrl = view.getUint16(pos + 6, true);
      caps = { ...caps, pasidLog2: (cap >> 8) & 0x1f, pasidExec: (ctrl & 0x2) !== 0, pasidPriv: (ctrl & 0x4) !== 0 };
    }
    pos = (header >>> 20) & 0xffc;
  }
  return caps;
}
