import { QemuError, type MachineContext, type ProfileId } from '@viommu/core';
import { VIRTIO_IOMMU_PROFILES } from './profiles.js';
import { TYPE_VIRTIO_IOMMU_PCI } from './properties.js';
import { VIRTIO_IOMMU_RESV_MEM_T_MSI, type ReservedRegion } from './reserved-regions.js';

/** Machine families whose hotplug handler knows virtio-iommu-pci (pc.c, virt.c). */
const X86_FAMILIES = ['q35', 'pc'];
const ARM_FAMILIES = ['virt'];

/** True when the machine type's compat version is at most `v` (`null` = the newest type). */
function compatAtMost(machine: MachineContext, v: readonly [number, number]): boolean {
  const c = machine.compatVersion;
  return c !== null && (c[0] < v[0] || (c[0] === v[0] && c[1] <= v[1]));
}

/**
 * Machine compat properties, in the order QEMU applies them: `pc_compat_defaults` (q35:
 * `aw-bits=39`) or `arm_virt_compat` (virt: `aw-bits=48`), then `hw_compat_8_2` for machine
 * types up to 8.2 (`granule=4k`, `aw-bits=64`). All of them name `virtio-iommu-pci`: the bare
 * `virtio-iommu-device` keeps its class defaults, as do profiles without these properties.
 */
export function virtioIommuCompat(profile: ProfileId, typeName: string, machine: MachineContext): Record<string, string> {
  if (!VIRTIO_IOMMU_PROFILES[profile].granuleAwBits || typeName !== TYPE_VIRTIO_IOMMU_PCI) return {};
  const out: Record<string, string> = {};
  if (machine.family === 'q35') out['aw-bits'] = '39';
  if (machine.family === 'virt') out['aw-bits'] = '48';
  if (compatAtMost(machine, [8, 2])) Object.assign(out, { granule: '4k', 'aw-bits': '64' });
  return out;
}

/** True when the machine implements a hotplug handler for the device (`qdev_get_machine_hotplug_handler`). */
export function machineHasHotplugHandler(machine: MachineContext): boolean {
  return X86_FAMILIES.includes(machine.family) || ARM_FAMILIES.includes(machine.family);
}

/** `VIRT_GIC_V2M` and `VIRT_GIC_ITS` in virt's `base_memmap`. */
const VIRT_GIC_V2M = { base: 0x08020000n, size: 0x1000n };
const VIRT_GIC_ITS = { base: 0x08080000n, size: 0x20000n };

/**
 * virt's `msi_controller`: GICv2 (the default under TCG) uses the GICv2m frame; GICv3 uses
 * the ITS unless `its=off`, which leaves none.
 */
function virtMsiDoorbell(machine: MachineContext): ReservedRegion | null {
  const gic = machine.props['gic-version'] ?? '2';
  if (gic === '2') return { start: VIRT_GIC_V2M.base, end: VIRT_GIC_V2M.base + VIRT_GIC_V2M.size - 1n, type: VIRTIO_IOMMU_RESV_MEM_T_MSI };
  if (['off', 'no', 'false'].includes(machine.props.its ?? 'on')) return null;
  // GITS_TRANSLATER page
  return { start: VIRT_GIC_ITS.base + 0x10000n, end: VIRT_GIC_ITS.base + VIRT_GIC_ITS.size - 1n, type: VIRTIO_IOMMU_RESV_MEM_T_MSI };
}

/** x86: the APIC range is the MSI reserved region (pc.c). */
const X86_MSI_REGION: ReservedRegion = { start: 0xfee00000n, end: 0xfeefffffn, type: VIRTIO_IOMMU_RESV_MEM_T_MSI };

/** What the machine's pre-plug hook decided. */
export interface PrePlugResult {
  /** The reserved regions the machine sets on the device (replacing the command line's). */
  readonly machineRegions: readonly ReservedRegion[] | null;
}

/**
 * `pc_machine_device_pre_plug_cb` / `virt_machine_device_pre_plug_cb` for virtio-iommu-pci:
 * the machine's MSI window becomes a reserved region; x86 and virt allow one vIOMMU.
 * In 7.2 the region is set through `len-reserved-regions`, which refuses a length the user
 * already set (pc.c does that before its vIOMMU check, virt after).
 * @param userLen `len-reserved-regions` from the command line (7.2), else 0
 * @throws QemuError (stage `realize`) with QEMU's message.
 */
export function virtioIommuPrePlug(machine: MachineContext, userLen: number): PrePlugResult {
  const fail = (msg: string) => new QemuError(msg, 'realize');
  const lenConflict = () => fail('array size property len-reserved-regions may not be set more than once');
  if (X86_FAMILIES.includes(machine.family)) {
    if (userLen !== 0) throw lenConflict();
    if (machine.viommus.length > 0) throw fail('QEMU does not support multiple vIOMMUs for x86 yet.');
    return { machineRegions: [X86_MSI_REGION] };
  }
  if (ARM_FAMILIES.includes(machine.family)) {
    if ((machine.props.iommu ?? 'none') !== 'none' || machine.viommus.length > 0) {
      throw fail('virt machine does not support multiple IOMMUs');
    }
    const db = virtMsiDoorbell(machine);
    if (!db) return { machineRegions: null };
    if (userLen !== 0) throw lenConflict();
    return { machineRegions: [db] };
  }
  return { machineRegions: null };
}

/**
 * `TARGET_PAGE_BITS` of the machines virtio-iommu-pci plugs into: 12 on x86; aarch64 varies it
 * per machine and virt sets `minimum_page_bits = 12`. 7.2's initial mask is `TARGET_PAGE_MASK`.
 */
export const TARGET_PAGE_BITS = 12;
