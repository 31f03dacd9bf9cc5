import { findProfile, type HostModel } from '@viommu/core';
import { findHost } from '../hosts/index.js';
import { parseQemuArgs } from '../input/qemu-args.js';
import type { VmConfig } from '../input/vm-config.js';
import { Composition } from '../scenario/compose.js';
import { runScenario } from '../scenario/engine.js';

/** The attach scenario of figures 3: intel-iommu + one vfio-pci on the legacy container, on a catalogue host. */
export const ATTACH_ARGS = '-machine q35,kernel-irqchip=split -accel kvm -device intel-iommu,caching-mode=on -device vfio-pci,host=0000:01:00.0';
export const ATTACH_HOSTS = ['intel-016', 'intel-001', 'intel-068', 'intel-067'];

/** Full simulated attach scenarios (container, SimKernel, vfio-pci realize) run in `ms` milliseconds, and how many passed. */
export async function runAttachFor(ms: number): Promise<{ count: number; ok: number }> {
  const comp = await Composition.create();
  const profile = findProfile('10.0')!;
  const vm: VmConfig = parseQemuArgs(ATTACH_ARGS.split(' '));
  const hosts: HostModel[] = ATTACH_HOSTS.map((id) => findHost(id)!);
  let count = 0;
  let ok = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      const h = hosts[count++ % hosts.length]!;
      if (runScenario(comp.scenario(h, profile), vm, h, profile).ok) ok++;
    }
  }
  return { count, ok };
}

/**
 * The floor: the same decision from the same bits, by hand — the device is there and bound to
 * vfio-pci, the type1 container exists, and the host's CAP.MGAW + 1 is at least the
 * vIOMMU's 48 address bits (vtd_check_hiod).
 */
export function attachFloor(h: HostModel, bdf: string): boolean {
  const d = h.devices.find((x) => x.bdf === bdf);
  if (!d || d.driver !== 'vfio-pci' || !h.kernel.vfioType1) return false;
  const u = h.units.find((x) => x.name === d.unit)!;
  return ((u.registers.cap! >> 16n) & 0x3fn) + 1n >= 48n;
}

/** Floor decisions per second in this thread, and how many passed in `ms`. */
export function runFloorFor(ms: number): { count: number; ok: number } {
  const hosts = ATTACH_HOSTS.map((id) => findHost(id)!);
  let count = 0;
  let ok = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 4096; i++) if (attachFloor(hosts[count++ % hosts.length]!, '0000:01:00.0')) ok++;
  }
  return { count, ok };
}
