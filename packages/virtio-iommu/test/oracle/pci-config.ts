import type { Qtest } from './qtest.js';

/** Guest-side access to PCI config space: x86 CF8/CFC ports or an ECAM window (virt). */
export interface PciConfigAccess {
  read32(devfn: number, reg: number): Promise<bigint>;
  write32(devfn: number, reg: number, value: bigint): Promise<void>;
}

/** Bus 0 through the x86 `0xcf8`/`0xcfc` mechanism. */
export function cf8Access(q: Qtest): PciConfigAccess {
  const select = (devfn: number, reg: number) => q.cmd(`outl 0xcf8 0x${((0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0).toString(16)}`);
  return {
    async read32(devfn, reg) {
      await select(devfn, reg);
      return BigInt(await q.cmd('inl 0xcfc'));
    },
    async write32(devfn, reg, value) {
      await select(devfn, reg);
      await q.cmd(`outl 0xcfc 0x${value.toString(16)}`);
    },
  };
}

/** Bus 0 through a PCIe ECAM window at `base`. */
export function ecamAccess(q: Qtest, base: bigint): PciConfigAccess {
  const at = (devfn: number, reg: number) => base + (BigInt(devfn) << 12n) + BigInt(reg & 0xffc);
  return {
    read32: (devfn, reg) => q.read('l', at(devfn, reg)),
    write32: (devfn, reg, value) => q.write('l', at(devfn, reg), value),
  };
}

const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4n;
const VIRTIO_PCI_CAP_DEVICE_CFG = 4n;

/**
 * Finds the virtio device with PCI device id `deviceId` on bus 0, maps its device-config
 * capability's BAR at `barAddress` (64-bit memory BAR), enables memory decoding and returns the
 * guest-physical address of its device config (`struct virtio_iommu_config` for virtio-iommu).
 */
export async function mapVirtioDeviceConfig(pci: PciConfigAccess, deviceId: bigint, barAddress: bigint): Promise<bigint> {
  for (let devfn = 0; devfn < 256; devfn += 8) {
    const id = await pci.read32(devfn, 0);
    if (id !== (deviceId << 16n) + PCI_VENDOR_ID_REDHAT_QUMRANET) continue;
    let cap = Number((await pci.read32(devfn, 0x34)) & 0xfcn);
    while (cap !== 0) {
      const head = await pci.read32(devfn, cap);
      if ((head & 0xffn) === 0x09n && ((head >> 24n) & 0xffn) === VIRTIO_PCI_CAP_DEVICE_CFG) {
        const bar = Number((await pci.read32(devfn, cap + 4)) & 0xffn);
        const offset = await pci.read32(devfn, cap + 8);
        await pci.write32(devfn, 0x10 + bar * 4, barAddress & 0xffffffffn);
        await pci.write32(devfn, 0x14 + bar * 4, barAddress >> 32n);
        const cmd = await pci.read32(devfn, 0x04);
        await pci.write32(devfn, 0x04, (cmd & 0xffffn) | 0x2n);
        return barAddress + offset;
      }
      cap = Number((head >> 8n) & 0xfcn);
    }
  }
  throw new Error(`no virtio device 0x${deviceId.toString(16)} with a device-config capability on bus 0`);
}

/** virt's `VIRT_MMIO` transports: 32 windows of 0x200 bytes from 0x0a000000. */
const VIRT_MMIO_BASE = 0x0a000000n;
const VIRT_MMIO_SIZE = 0x200n;
const VIRT_MMIO_COUNT = 32n;
const VIRTIO_MMIO_MAGIC = 0x74726976n; // "virt"
const VIRTIO_MMIO_CONFIG = 0x100n;

/** Finds the virtio-mmio transport of virtio device `virtioId` on virt; returns its device config address. */
export async function findVirtioMmioConfig(q: Qtest, virtioId: bigint): Promise<bigint> {
  for (let i = 0n; i < VIRT_MMIO_COUNT; i++) {
    const base = VIRT_MMIO_BASE + i * VIRT_MMIO_SIZE;
    if ((await q.read('l', base)) === VIRTIO_MMIO_MAGIC && (await q.read('l', base + 8n)) === virtioId) return base + VIRTIO_MMIO_CONFIG;
  }
  throw new Error(`no virtio-mmio transport with device id ${virtioId}`);
}
