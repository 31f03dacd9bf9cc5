import type { QemuError } from '../errors.js';
import { IOMMU_NOTIFIER_IOTLB_EVENTS, type AddressSpace } from '../memory.js';
import type { QemuProfile } from '../profile.js';
import type { Trace } from '../trace.js';

/**
 * The IOMMU part of VFIO's memory listener (`vfio_listener_region_add`, `hw/vfio/listener.c`;
 * 7.2: `hw/vfio/common.c`): when a container's address space is translated by an emulated
 * vIOMMU, VFIO registers an IOTLB notifier on its IOMMU region (7.2–9.0: after setting the
 * region's page-size mask to the container's `pgsizes`). Shared by both backends.
 *
 * @returns null when accepted, else the error as the container sees it:
 *   `memory listener initialization failed: Region <name>: <vIOMMU message>`.
 */
export function vfioListenerRegister(as: AddressSpace, pgsizes: bigint, profile: QemuProfile, trace: Trace): QemuError | null {
  const region = as.iommu;
  if (!region) return null;
  trace.step('vfio_listener_region_add', { region: region.name, pgsizes });
  let err: QemuError | null = null;
  if (profile.listenerSetsPageSizeMask && region.setPageSizeMask) err = region.setPageSizeMask(pgsizes);
  err ??= region.notifyFlagChanged(IOMMU_NOTIFIER_IOTLB_EVENTS);
  return err ? err.prepend(`memory listener initialization failed: Region ${region.name}: `, 'vfio-attach') : null;
}
