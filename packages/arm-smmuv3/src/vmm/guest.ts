import type { PCIBus } from '@viommu/core';
import type { GuestStreamTable } from './accel.js';

/**
 * Bus numbers as the guest's firmware assigns them: depth-first in devfn order, each bridge's
 * secondary bus the next free number; a pxb-pcie root bus starts at its `bus_nr`.
 */
export function guestBusNumbers(root: PCIBus): Map<PCIBus, number> {
  const out = new Map<PCIBus, number>();
  let next = 0;
  const scan = (bus: PCIBus, n: number) => {
    out.set(bus, n);
    for (const devfn of [...bus.devices.keys()].sort((a, b) => a - b)) {
      const sec = bus.devices.get(devfn)!.secondaryBus;
      if (!sec) continue;
      const bridge = sec.parentDev!;
      if (bridge.typeName === 'pxb-pcie') {
        const nr = Number(bridge.props['bus_nr'] ?? 0);
        next = Math.max(next, nr);
        scan(sec, nr);
      } else scan(sec, ++next);
    }
  };
  scan(root, 0);
  return out;
}

/** `smmu_get_sid`: `PCI_BUILD_BDF(pci_bus_num(bus), devfn)` with the guest's bus numbers. */
export function guestSid(buses: ReadonlyMap<PCIBus, number>, bus: PCIBus, devfn: number): number {
  return ((buses.get(bus) ?? 0) << 8) | devfn;
}

/**
 * `arm_smmu_device_reset` of a Linux guest: CFGI_ALL while SMMUEN is clear, before any
 * level-2 stream table exists (QEMU's vSMMU has 2-level tables, IDR0.ST_LEVEL 1), so
 * `smmu_find_ste` finds no STE.
 */
export const LINUX_GUEST_RESET: GuestStreamTable = { enabled: false, ste: () => null };

/**
 * A Linux guest's default DMA domain (`arm_smmu_make_cdtable_ste`): V, Config S1-translate,
 * linear CD table at a guest page (virt's RAM starts at 0x40000000), S1CDMAX 0; S1DSS SSID0,
 * S1CIR/S1COR write-back read-allocate, S1CSH inner shareable; no S1STALLD (the vSMMU is
 * terminate-only), no EATS.
 */
export const LINUX_GUEST_DMA_STE: readonly [bigint, bigint] = [0x40001000n | (0x5n << 1n) | 1n, (0x3n << 6n) | (0x1n << 4n) | (0x1n << 2n) | 0x2n];

/** The guest's stream table once the device's DMA domain is installed (SMMUEN set). */
export const LINUX_GUEST_DMA: GuestStreamTable = { enabled: true, ste: () => LINUX_GUEST_DMA_STE };
