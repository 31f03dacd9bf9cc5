import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_FAULT_ID_VALID,
  KernelError,
  type IommuHwptAlloc,
  type KernelFeatures,
} from '@viommu/core';
import type { DeviceObj, HwptNestedObj, HwptPagingObj, IoasObj, ViommuObj } from './objects.js';

/**
 * The three kinds of `IOMMU_HWPT_ALLOC` (`drivers/iommu/iommufd/hw_pagetable.c`), after the
 * generic checks of `iommufd_hwpt_alloc`: each checks flags as the kernel release knows them,
 * then calls the driver (which never sees `FAULT_ID_VALID`).
 */

/** Flags this kernel release knows for a paging HWPT. */
function pagingFlags(f: KernelFeatures): number {
  return (
    IOMMU_HWPT_ALLOC_NEST_PARENT |
    (f.dirtyTracking ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0) |
    (f.faultId ? IOMMU_HWPT_FAULT_ID_VALID : 0) |
    (f.hwptPasid ? IOMMU_HWPT_ALLOC_PASID : 0)
  );
}

/** Flags this kernel release knows for a nested HWPT. */
function nestedFlags(f: KernelFeatures): number {
  return (f.faultId ? IOMMU_HWPT_FAULT_ID_VALID : 0) | (f.hwptPasid ? IOMMU_HWPT_ALLOC_PASID : 0);
}

/** `iommufd_hwpt_paging_alloc`: the driver never sees FAULT_ID_VALID. */
export function hwptPagingAlloc(f: KernelFeatures, id: number, dev: DeviceObj, ioas: IoasObj, arg: IommuHwptAlloc): HwptPagingObj {
  const call = 'IOMMU_HWPT_ALLOC';
  if (arg.flags & ~pagingFlags(f)) throw new KernelError('EOPNOTSUPP', call, `flags 0x${arg.flags.toString(16)}`);
  if (arg.flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !dev.inst.capable('DIRTY_TRACKING', dev.state.dev)) {
    throw new KernelError('EOPNOTSUPP', call, 'device IOMMU cannot track dirty pages');
  }
  if (arg.flags & IOMMU_HWPT_FAULT_ID_VALID && arg.flags & IOMMU_HWPT_ALLOC_NEST_PARENT) {
    throw new KernelError('EOPNOTSUPP', call, 'FAULT_ID_VALID on a nest parent');
  }
  const domain = dev.inst.domainAllocPaging(dev.state.dev, arg.flags & ~IOMMU_HWPT_FAULT_ID_VALID, arg.data ?? null);
  return {
    kind: 'hwpt_paging',
    id,
    ioas,
    domain,
    autoDomain: false,
    nestParent: (arg.flags & IOMMU_HWPT_ALLOC_NEST_PARENT) !== 0,
    dirtyTracking: false,
  };
}

/** `iommufd_hwpt_nested_alloc`. */
export function hwptNestedAlloc(f: KernelFeatures, id: number, dev: DeviceObj, parent: HwptPagingObj, arg: IommuHwptAlloc): HwptNestedObj {
  const call = 'IOMMU_HWPT_ALLOC';
  if (arg.flags & ~nestedFlags(f) || !arg.data || !dev.inst.domainAllocNested) {
    throw new KernelError('EOPNOTSUPP', call, 'nested: flags, no data or no domain_alloc_nested');
  }
  if (parent.autoDomain || !parent.nestParent || parent.domain.owner.driver !== dev.inst.driver) {
    throw new KernelError('EINVAL', call, `hwpt ${parent.id} is not a nest parent of this driver`);
  }
  const domain = dev.inst.domainAllocNested(dev.state.dev, parent.domain, arg.flags & ~IOMMU_HWPT_FAULT_ID_VALID, arg.data);
  return { kind: 'hwpt_nested', id, parent, viommu: null, domain };
}

/** `iommufd_viommu_alloc_hwpt_nested`. */
export function viommuHwptNestedAlloc(f: KernelFeatures, id: number, dev: DeviceObj, viommu: ViommuObj, arg: IommuHwptAlloc): HwptNestedObj {
  const call = 'IOMMU_HWPT_ALLOC';
  if (viommu.drv.owner !== dev.inst) throw new KernelError('EINVAL', call, 'device behind another IOMMU than the vIOMMU');
  if (arg.flags & ~nestedFlags(f) || !arg.data || !dev.inst.viommuAllocDomainNested) {
    throw new KernelError('EOPNOTSUPP', call, 'nested on a vIOMMU: flags, no data or no alloc_domain_nested');
  }
  const domain = dev.inst.viommuAllocDomainNested(viommu.drv, dev.state.dev, arg.flags & ~IOMMU_HWPT_FAULT_ID_VALID, arg.data);
  return { kind: 'hwpt_nested', id, parent: viommu.hwpt, viommu, domain };
}
