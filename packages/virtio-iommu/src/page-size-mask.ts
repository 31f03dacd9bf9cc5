import { hex, QemuError } from '@viommu/core';
import { granuleOf } from './config.js';

/** The outcome of a page-size negotiation: the new mask, or QEMU's refusal. */
export type MaskDecision = { readonly mask: bigint; readonly warning?: string } | { readonly error: QemuError };

/**
 * 7.2 `virtio_iommu_set_page_size_mask` (the IOMMU region's `iommu_set_page_size_mask`, called
 * by VFIO's listener with the container's `pgsizes`): no common page size is an error; before
 * the machine is ready the mask shrinks to the common sizes; once it is ready (hot-plug) the
 * granules must be equal and a different mask only warns.
 */
export function setPageSizeMask72(cur: bigint, newMask: bigint, machineReady: boolean): MaskDecision {
  const incompatible = () => ({
    error: new QemuError(`virtio-iommu page mask ${hex(cur)} is incompatible with mask ${hex(newMask)}`, 'vfio-attach'),
  });
  if ((cur & newMask) === 0n) return incompatible();
  if (machineReady) {
    if (granuleOf(newMask) !== granuleOf(cur)) return incompatible();
    if (newMask !== cur) return { mask: cur, warning: `virtio-iommu page mask ${hex(cur)} does not match ${hex(newMask)}` };
    return { mask: cur };
  }
  return { mask: cur & newMask };
}

/**
 * 9.1+ `check_page_size_mask` + the update in `virtio_iommu_set_iommu_device`: no common page
 * size is an error; once the granule is frozen (machine-init-done) the current granule must be
 * in the host's mask and the mask no longer changes; before, it shrinks to the common sizes.
 * The caller prefixes errors with `<hiod name>: `.
 */
export function checkPageSizeMask(cur: bigint, newMask: bigint, granuleFrozen: boolean): MaskDecision {
  if ((cur & newMask) === 0n) {
    return {
      error: new QemuError(
        `virtio-iommu reports a page size mask ${hex(newMask)} incompatible with currently supported mask ${hex(cur)}`,
        'set-iommu-device',
      ),
    };
  }
  if (granuleFrozen) {
    const granule = granuleOf(cur);
    if ((granule & newMask) === 0n) {
      return { error: new QemuError(`virtio-iommu does not support frozen granule ${hex(granule)}`, 'set-iommu-device') };
    }
    return { mask: cur };
  }
  return { mask: cur & newMask };
}
