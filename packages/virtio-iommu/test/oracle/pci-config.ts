import type { QtestRead, QtestWrite } from '@viommu/core/oracle';

/**
 * Guest-side reads of a virtio-iommu's config through QEMU's qtest, as fixed write/read lists
 * for `runQtest`: PCI config space through ECAM (q35 after enabling MMCONFIG through
 * `0xcf8`/`0xcfc`; virt's high ECAM), the device-config BAR, virt's virtio-mmio transports.
 */

/** `VIRTIO_ID_IOMMU` and `PCI_DEVICE_ID_VIRTIO_IOMMU` (0x1040 + VIRTIO_ID_IOMMU) from vendor 0x1af4. */
export const VIRTIO_ID_IOMMU = 23n;
const VIRTIO_IOMMU_PCI_ID = ((0x1040n + VIRTIO_ID_IOMMU) << 16n) | 0x1af4n;
const VIRTIO_PCI_CAP_DEVICE_CFG = 4n;

/** Where a machine's bus-0 ECAM is, what enables it, and where the BAR goes. */
export interface PciWindow {
  readonly ecam: bigint;
  readonly enable: readonly QtestWrite[];
  readonly bar: bigint;
}

const cf8 = (devfn: number, reg: number): QtestWrite => ({ op: 'outl', addr: 0xcf8n, value: 0x80000000n | (BigInt(devfn) << 8n) | BigInt(reg) });
const cfc = (value: bigint): QtestWrite => ({ op: 'outl', addr: 0xcfcn, value });

/**
 * q35: MCH `PCIEXBAR` (00:00.0 reg 0x60) = 0xb0000000 | PCIEXBAREN, 256 buses; the BAR in the
 * 32-bit PCI hole. virt: `VIRT_HIGH_PCIE_ECAM`, the BAR in `VIRT_PCIE_MMIO`.
 */
export const PCI_WINDOWS: Readonly<Record<'q35' | 'virt', PciWindow>> = {
  q35: { ecam: 0xb0000000n, enable: [cf8(0, 0x60), cfc(0xb0000001n), cf8(0, 0x64), cfc(0n)], bar: 0xe0000000n },
  virt: { ecam: 0x4010000000n, enable: [], bar: 0x10000000n },
};

const cfgAddr = (w: PciWindow, devfn: number, reg: number) => w.ecam + (BigInt(devfn) << 12n) + BigInt(reg);

/** Reads the first 256 bytes of config space of every slot (function 0) on bus 0. */
export function configSpaceReads(w: PciWindow): QtestRead[] {
  const out: QtestRead[] = [];
  for (let slot = 0; slot < 32; slot++) for (let reg = 0; reg < 256; reg += 4) out.push({ op: 'readl', addr: cfgAddr(w, slot << 3, reg) });
  return out;
}

/** Where the device config of a virtio-iommu-pci is, from the config-space dump of {@link configSpaceReads}. */
export function findDeviceCfg(values: readonly bigint[]): { devfn: number; bar: number; offset: bigint } {
  for (let slot = 0; slot < 32; slot++) {
    const dword = (reg: number) => values[slot * 64 + reg / 4]!;
    if (dword(0) !== VIRTIO_IOMMU_PCI_ID) continue;
    for (let cap = Number(dword(0x34) & 0xfcn); cap !== 0; cap = Number((dword(cap) >> 8n) & 0xfcn)) {
      const head = dword(cap);
      if ((head & 0xffn) === 0x09n && ((head >> 24n) & 0xffn) === VIRTIO_PCI_CAP_DEVICE_CFG) {
        return { devfn: slot << 3, bar: Number(dword(cap + 4) & 0xffn), offset: dword(cap + 8) };
      }
    }
  }
  throw new Error('no virtio-iommu-pci with a device-config capability on bus 0');
}

/** Maps the (64-bit memory) BAR at the window's address and enables memory decoding. */
export function mapBarWrites(w: PciWindow, devfn: number, bar: number): QtestWrite[] {
  return [
    ...w.enable,
    { op: 'writel', addr: cfgAddr(w, devfn, 0x10 + bar * 4), value: w.bar & 0xffffffffn },
    { op: 'writel', addr: cfgAddr(w, devfn, 0x14 + bar * 4), value: w.bar >> 32n },
    { op: 'writew', addr: cfgAddr(w, devfn, 0x04), value: 0x2n },
  ];
}

/** `struct virtio_iommu_config` at `base`: u64 page mask and input range, u32 domain range and probe size, u8 bypass. */
export function virtioIommuConfigReads(base: bigint): QtestRead[] {
  const layout: [number, QtestRead['op']][] = [[0, 'readq'], [8, 'readq'], [16, 'readq'], [24, 'readl'], [28, 'readl'], [32, 'readl'], [36, 'readb']];
  return layout.map(([off, op]) => ({ op, addr: base + BigInt(off) }));
}

/** virt's `VIRT_MMIO` transports: 32 windows of 0x200 bytes from 0x0a000000; magic and device id of each. */
const VIRT_MMIO_BASE = 0x0a000000n;
const VIRT_MMIO_SIZE = 0x200n;
const VIRTIO_MMIO_MAGIC = 0x74726976n; // "virt"
const VIRTIO_MMIO_CONFIG = 0x100n;

export function virtioMmioIdReads(): QtestRead[] {
  return Array.from({ length: 32 }, (_, i) => VIRT_MMIO_BASE + BigInt(i) * VIRT_MMIO_SIZE).flatMap((base) => [
    { op: 'readl' as const, addr: base },
    { op: 'readl' as const, addr: base + 8n },
  ]);
}

/** The device config address of the transport carrying virtio device `virtioId`, from {@link virtioMmioIdReads}. */
export function findVirtioMmioConfig(values: readonly bigint[], virtioId: bigint): bigint {
  for (let i = 0; i < 32; i++) {
    if (values[2 * i] === VIRTIO_MMIO_MAGIC && values[2 * i + 1] === virtioId) return VIRT_MMIO_BASE + BigInt(i) * VIRT_MMIO_SIZE + VIRTIO_MMIO_CONFIG;
  }
  throw new Error(`no virtio-mmio transport with device id ${virtioId}`);
}
