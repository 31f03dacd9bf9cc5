import {
  IOMMU_HW_INFO_TYPE_DEFAULT,
  IOMMU_HW_INFO_TYPE_INTEL_VTD,
  IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_VTD_S1,
  IOMMU_HWPT_FAULT_ID_VALID,
  KernelError,
  type HostIommuUnit,
  type HostPciDevice,
  type HwInfoResult,
  type IommuCap,
  type IommuDomain,
  type IommuDriver,
  type IommuHwptData,
  type IommuHwptVtdS1,
  type IommuInstance,
  type IovaRange,
  type KernelFeatures,
} from '@viommu/core';
import { irqRemappingEnabled } from './irq-remapping.js';
import { parseIntelIommuCmdline, vtdUnitCaps, type VtdUnitCaps } from './unit.js';

/** `IOAPIC_RANGE_START`..`IOAPIC_RANGE_END`: the x86 MSI window `intel_iommu_get_resv_regions` reserves. */
export const IOAPIC_RANGE_START = 0xfee00000n;
export const IOAPIC_RANGE_END = 0xfeefffffn;

/** `enum iommu_hwpt_vtd_s1_flags`. */
export const IOMMU_VTD_S1_SRE = 1n << 0n;
export const IOMMU_VTD_S1_EAFE = 1n << 1n;
export const IOMMU_VTD_S1_WPE = 1n << 2n;

/** `ADDR_WIDTH_4LEVEL` / `ADDR_WIDTH_5LEVEL`. */
export const ADDR_WIDTH_4LEVEL = 48;
export const ADDR_WIDTH_5LEVEL = 57;

/** Driver state of a paging domain (`struct dmar_domain`). */
export interface DmarDomain {
  /** `use_first_level`. */
  readonly stage: 'first' | 'second';
  /** `gaw`: guest address width in bits. */
  readonly gaw: number;
  /** `iommu_superpage`. */
  readonly superpage: number;
  readonly nestParent: boolean;
  readonly dirtyTracking: boolean;
}

/** Driver state of a nested domain (`s1_cfg` copied from `iommu_hwpt_vtd_s1`). */
export interface DmarNestedDomain {
  readonly s1: IommuHwptVtdS1;
}

/** `SZ_4K | SZ_2M | SZ_1G` as the superpage level allows (`domain_super_pgsize_bitmap`). */
export function vtdPgsizeBitmap(superpage: number): bigint {
  let bm = 1n << 12n;
  if (superpage >= 1) bm |= 1n << 21n;
  if (superpage >= 2) bm |= 1n << 30n;
  return bm;
}

/**
 * The Linux `intel-iommu` driver (`drivers/iommu/intel/`), as the simulated kernel calls it.
 * Units carry the raw `cap` and `ecap` registers; `intel_iommu=sm_on|sm_off|sp_off` on the
 * command line is honoured, and `intremap=off`/`nointremap` with ECAP.IR decide MSI isolation.
 */
export class IntelIommuDriver implements IommuDriver {
  readonly name = 'intel-iommu';
  readonly vendor = 'intel';

  probe(unit: HostIommuUnit, features: KernelFeatures, cmdline: string, units: readonly HostIommuUnit[] = [unit]): IommuInstance {
    const caps = vtdUnitCaps(unit, parseIntelIommuCmdline(cmdline));
    if (caps.agaw < 0) throw new KernelError('ENODEV', 'alloc_iommu', `${unit.name}: cannot get a valid agaw (SAGAW 0)`);
    return new IntelIommuInstance(this, unit, caps, features, irqRemappingEnabled(units, cmdline));
  }
}

/** One DMAR unit (`struct intel_iommu`). */
export class IntelIommuInstance implements IommuInstance {
  readonly aperture: IovaRange;
  readonly pgsizeBitmap: bigint;
  readonly hwInfo?: (dev: HostPciDevice, requestedType: number) => HwInfoResult;
  readonly domainAllocNested?: (dev: HostPciDevice, parent: IommuDomain, flags: number, data: IommuHwptData) => IommuDomain;
  /** Stage of the domain allocated without flags (`first_level_by_default`). */
  readonly defaultStage: 'first' | 'second';

  constructor(
    readonly driver: IommuDriver,
    readonly unit: HostIommuUnit,
    readonly caps: VtdUnitCaps,
    readonly kernel: KernelFeatures,
    /** `irq_remapping_enabled`: host-wide, decided over every DRHD at boot. */
    readonly irqRemapping = true,
  ) {
    this.defaultStage = caps.firstStage ? 'first' : 'second';
    this.aperture = caps.defaultAperture;
    this.pgsizeBitmap = vtdPgsizeBitmap(caps.superpage(this.defaultStage));
    if (kernel.hwptAlloc) this.hwInfo = (_dev, type) => this.#hwInfo(type);
    if (kernel.nestingVtd) this.domainAllocNested = (_dev, parent, flags, data) => this.#allocNested(parent, flags, data);
  }

  #domain(stage: 'first' | 'second', nestParent: boolean, dirtyTracking: boolean): DmarDomain {
    return { stage, gaw: this.caps.gaw, superpage: this.caps.superpage(stage), nestParent, dirtyTracking };
  }

  /** `intel_iommu_capable`. */
  capable(cap: IommuCap): boolean {
    switch (cap) {
      case 'CACHE_COHERENCY':
        return true;
      case 'ENFORCE_CACHE_COHERENCY':
        return this.caps.snoopControl;
      case 'DIRTY_TRACKING':
        return this.caps.ssads;
    }
  }

  /**
   * `intel_iommu_hw_info`: the raw CAP/ECAP and, from 6.7 (the release that added the flag with
   * dirty tracking), `IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17` on every unit — the kernel does not
   * look at the CPU model.
   */
  #hwInfo(requestedType: number): HwInfoResult {
    if (requestedType !== IOMMU_HW_INFO_TYPE_DEFAULT && requestedType !== IOMMU_HW_INFO_TYPE_INTEL_VTD) {
      throw new KernelError('EOPNOTSUPP', 'IOMMU_GET_HW_INFO', `intel_iommu_hw_info: type ${requestedType}`);
    }
    const flags = this.kernel.dirtyTracking ? IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 : 0;
    return {
      type: IOMMU_HW_INFO_TYPE_INTEL_VTD,
      length: 24,
      data: { type: IOMMU_HW_INFO_TYPE_INTEL_VTD, flags, cap_reg: this.caps.cap, ecap_reg: this.caps.ecap },
    };
  }

  /** `dev->iommu->max_pasids`: `2 << ecap_pss` limited by the device's PASID capability; 0 without PASID. */
  maxPasids(dev: HostPciDevice): number {
    const log2 = dev.pasidLog2 ?? 0;
    if (!this.caps.pasid || log2 === 0) return 0;
    return 2 ** Math.min(log2, this.caps.pss + 1);
  }

  /** `msi_device_has_isolated_msi`: the IR domain is `IRQ_DOMAIN_FLAG_ISOLATED_MSI` while interrupt remapping is on. */
  isolatedMsi(_dev: HostPciDevice): boolean {
    return this.irqRemapping;
  }

  /** `intel_iommu_get_resv_regions`: the IOAPIC/MSI window (`IOMMU_RESV_MSI`). RMRRs are not modelled. */
  reservedRegions(_dev: HostPciDevice): IovaRange[] {
    return [{ start: IOAPIC_RANGE_START, last: IOAPIC_RANGE_END }];
  }

  /**
   * `intel_iommu_domain_alloc_paging_flags`: flags NEST_PARENT | DIRTY_TRACKING | PASID only
   * (each from the kernel that knows it), no user data; NEST_PARENT needs `nested_supported`,
   * DIRTY_TRACKING `ssads_supported`, both force second stage (`ecap_slts` in scalable mode);
   * PASID needs scalable mode. Otherwise first stage when the unit has it.
   */
  domainAllocPaging(_dev: HostPciDevice, flags: number, data: IommuHwptData | null): IommuDomain {
    const eop = (why: string) => new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', `intel_iommu_domain_alloc_paging_flags: ${why}`);
    let known = IOMMU_HWPT_ALLOC_NEST_PARENT;
    if (this.kernel.dirtyTracking) known |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
    if (this.kernel.hwptPasid) known |= IOMMU_HWPT_ALLOC_PASID;
    const f = flags & ~IOMMU_HWPT_FAULT_ID_VALID;
    if (f & ~known) throw eop(`flags 0x${f.toString(16)}`);
    if (data) throw eop('user data on a paging domain');
    const nestParent = (f & IOMMU_HWPT_ALLOC_NEST_PARENT) !== 0;
    const dirty = (f & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
    if (nestParent && !this.caps.nested) throw eop('NEST_PARENT needs nested_supported (scalable mode and ECAP.NEST)');
    if (dirty && !this.caps.ssads) throw eop('DIRTY_TRACKING needs ssads_supported (scalable mode, ECAP.SLADS and SMPWC)');
    if (f & IOMMU_HWPT_ALLOC_PASID && !this.caps.sm) throw eop('PASID needs scalable mode');
    const stage = nestParent || dirty ? 'second' : this.defaultStage;
    if (stage === 'second' && !this.caps.secondStage) throw eop('second-stage tables need ECAP.SLTS in scalable mode');
    return { kind: 'paging', owner: this, flags, vendor: this.#domain(stage, nestParent, dirty) };
  }

  /**
   * `intel_iommu_domain_alloc_nested` (nested.c): `nested_supported` and no flag but PASID
   * (EOPNOTSUPP), data `IOMMU_HWPT_DATA_VTD_S1` (EOPNOTSUPP), an Intel nest-parent
   * (EINVAL). `addr_width` and the SRE/EAFE flags are only checked at attach.
   */
  #allocNested(parent: IommuDomain, flags: number, data: IommuHwptData): IommuDomain {
    const allowed = this.kernel.hwptPasid ? IOMMU_HWPT_ALLOC_PASID : 0;
    if (!this.caps.nested || flags & ~allowed) {
      throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', 'intel_iommu_domain_alloc_nested: nesting unsupported or flags');
    }
    if (data.type !== IOMMU_HWPT_DATA_VTD_S1) {
      throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', `intel_iommu_domain_alloc_nested: data type ${data.type}`);
    }
    const pv = parent.vendor as DmarDomain | undefined;
    if (!(parent.owner.driver instanceof IntelIommuDriver) || parent.kind !== 'paging' || !pv?.nestParent || pv.stage !== 'second') {
      throw new KernelError('EINVAL', 'IOMMU_HWPT_ALLOC', 'intel_iommu_domain_alloc_nested: parent is not an Intel nest-parent');
    }
    const vendor: DmarNestedDomain = { s1: data };
    return { kind: 'nested', owner: this, flags, parent, vendor };
  }

  /**
   * `attach_dev`: `paging_domain_compatible` for a paging domain (EINVAL when the domain needs
   * what this unit lacks), then for a nested domain `intel_pasid_setup_nested`'s stage-1 checks.
   */
  attachDev(domain: IommuDomain, dev: HostPciDevice): void {
    const inval = (why: string) => new KernelError('EINVAL', 'attach_dev', `${this.unit.name}: ${why}`);
    if (domain.kind === 'nested') {
      if (domain.parent) this.attachDev(domain.parent, dev);
      const s1 = (domain.vendor as DmarNestedDomain).s1;
      if (s1.addr_width !== ADDR_WIDTH_4LEVEL && s1.addr_width !== ADDR_WIDTH_5LEVEL) {
        throw inval(`Invalid stage-1 address width ${s1.addr_width}`);
      }
      if (s1.addr_width === ADDR_WIDTH_5LEVEL && !this.caps.fs5lp) throw inval('5-level paging not supported');
      if (s1.flags & IOMMU_VTD_S1_SRE && !this.caps.ecapBit(31)) throw inval('supervisor requests (SRE) need ECAP.SRS');
      if (s1.flags & IOMMU_VTD_S1_EAFE && !this.caps.ecapBit(34)) throw inval('extended access flag (EAFE) needs ECAP.EAFS');
      return;
    }
    if (!(domain.owner.driver instanceof IntelIommuDriver)) throw inval('domain of another IOMMU driver');
    if (domain.owner === this) return;
    const d = domain.vendor as DmarDomain;
    if (d.dirtyTracking && !this.caps.ssads) throw inval('dirty tracking domain, unit without ssads_supported');
    if (d.nestParent && !this.caps.nested) throw inval('nest-parent domain, unit without nested_supported');
    if (d.stage === 'first' && !this.caps.firstStage) throw inval('first-stage domain, unit without scalable mode + FLTS');
    if (d.stage === 'second' && !this.caps.secondStage) throw inval('second-stage domain, unit without SLTS');
    if (d.gaw > this.caps.gaw) throw inval(`domain address width ${d.gaw} > unit ${this.caps.gaw}`);
    if (d.superpage > this.caps.superpage(d.stage)) throw inval('domain page sizes the unit lacks');
  }
}
