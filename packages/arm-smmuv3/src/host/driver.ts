import {
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  IOMMU_HW_INFO_TYPE_DEFAULT,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_ARM_SMMUV3,
  IOMMU_HWPT_FAULT_ID_VALID,
  IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
  InputError,
  KernelError,
  type HostIommuUnit,
  type HostPciDevice,
  type HwInfoResult,
  type IommuCap,
  type IommuDomain,
  type IommuDriver,
  type IommuHwptData,
  type IommuInstance,
  type IommuViommu,
  type IovaRange,
  type KernelFeatures,
} from '@viommu/core';
import { SMMU_ID_REGISTERS, type SmmuIdRegs } from '../regs.js';
import { ARM_SMMU_FEAT, ARM_SMMU_OPT, armSmmuHwProbe, idRegsFromFeatures, type SmmuProbe } from './features.js';
import { armSmmuValidateVste, STE_CFG, type ValidatedVste } from './vste.js';

/** `MSI_IOVA_BASE` / `MSI_IOVA_LENGTH`: the software MSI window `arm_smmu_get_resv_regions` reserves. */
export const MSI_IOVA_BASE = 0x8000000n;
export const MSI_IOVA_LENGTH = 0x100000n;

/** Driver state of a paging domain (`struct arm_smmu_domain`). */
export interface ArmSmmuDomain {
  readonly stage: 'S1' | 'S2';
  readonly nestParent: boolean;
}

/** Driver state of a nested domain (`struct arm_smmu_nested_domain`). */
export interface ArmSmmuNestedDomain {
  readonly vsmmu: IommuViommu;
  readonly vste: ValidatedVste;
}

/** Driver state of a vIOMMU (`struct arm_vsmmu`): vSIDs of its vDEVICEs by host BDF. */
export interface ArmVsmmu {
  readonly vdevs: Map<string, bigint>;
}

/**
 * Reads a unit's registers, or rebuilds them from its `features` probe line.
 * @throws InputError for a register wider than 32 bits; KernelError ENODEV when neither is there.
 */
export function smmuUnitRegisters(unit: HostIommuUnit): SmmuIdRegs {
  const r = unit.registers;
  for (const n of SMMU_ID_REGISTERS) {
    const v = r[n];
    if (v !== undefined && (v < 0n || v >> 32n !== 0n)) {
      throw new InputError(`${n} 0x${v.toString(16)} does not fit the 32-bit SMMUv3 register`, `SMMUv3 unit ${unit.name}`);
    }
  }
  if (SMMU_ID_REGISTERS.every((n) => typeof r[n] === 'bigint')) return r as SmmuIdRegs;
  const features = unit.extra?.features;
  const oas = unit.extra?.oas;
  if (features === undefined || oas === undefined) {
    const missing = SMMU_ID_REGISTERS.filter((n) => typeof r[n] !== 'bigint').join(', ');
    throw new KernelError('ENODEV', 'arm_smmu_device_probe', `${unit.name}: no ${missing} and no probe line (features, oas)`);
  }
  const ias = unit.extra?.ias;
  return idRegsFromFeatures(Number(BigInt(features)), ias === undefined ? null : Number(ias), Number(oas)).registers;
}

/**
 * The Linux `arm-smmu-v3` driver (`drivers/iommu/arm/arm-smmu-v3/`), as the simulated kernel
 * calls it. Units carry `idr0`..`idr5`, `iidr`, `aidr`, or only a probe line's `features`,
 * `ias`, `oas` in `extra` (then the registers are rebuilt by `idRegsFromFeatures`).
 * Firmware facts come from `extra`: `coherent` (default IDR0.COHACC), `options` (the option
 * mask), `canwbs` (IORT: the root complex forces write-back cacheable; default = coherent).
 * There is no `isolatedMsi`: a device's MSI isolation is its MSI domain's (the GICv3 ITS sets
 * `IRQ_DOMAIN_FLAG_ISOLATED_MSI`), not the SMMU's — `msi_domain absent` (`arm_smmu_setup_msis`)
 * only says the SMMU's own queue interrupts are wired.
 */
export class ArmSmmuV3Driver implements IommuDriver {
  readonly name = 'arm-smmu-v3';
  readonly vendor = 'arm';

  probe(unit: HostIommuUnit, features: KernelFeatures, _cmdline: string): IommuInstance {
    const regs = smmuUnitRegisters(unit);
    const extra = unit.extra ?? {};
    const coherent = typeof extra.coherent === 'boolean' ? extra.coherent : undefined;
    const options = extra.options === undefined ? 0 : Number(BigInt(extra.options));
    const probe = armSmmuHwProbe(regs, { coherent, options });
    const canwbs = typeof extra.canwbs === 'boolean' ? extra.canwbs : (probe.features & ARM_SMMU_FEAT.COHERENCY) !== 0;
    return new ArmSmmuV3Instance(this, unit, regs, probe, features, canwbs);
  }
}

/** One probed SMMU (`struct arm_smmu_device`). */
export class ArmSmmuV3Instance implements IommuInstance {
  readonly aperture: IovaRange;
  readonly pgsizeBitmap: bigint;
  readonly hwInfo?: (dev: HostPciDevice, requestedType: number) => HwInfoResult;
  readonly getViommuSize?: (dev: HostPciDevice, viommuType: number) => number;

  constructor(
    readonly driver: IommuDriver,
    readonly unit: HostIommuUnit,
    readonly regs: SmmuIdRegs,
    readonly probe: SmmuProbe,
    readonly kernel: KernelFeatures,
    /** `arm_smmu_master_canwbs` for every device behind this SMMU. */
    readonly canwbs: boolean,
  ) {
    // arm_smmu_domain_finalise: S1 input size 48 (52 with VAX, capped by VA_BITS = 48); S2: smmu->ias.
    const bits = this.has(ARM_SMMU_FEAT.TRANS_S1) ? 48 : probe.ias;
    this.aperture = { start: 0n, last: (1n << BigInt(bits)) - 1n };
    this.pgsizeBitmap = probe.pgsizeBitmap;
    // hw_info and the vSMMU arrived with SMMUv3 nesting (6.14); older kernels report type NONE.
    if (kernel.nestingArmSmmuv3) {
      this.hwInfo = (dev, type) => this.#hwInfo(type);
      this.getViommuSize = (dev, type) => this.#getViommuSize(type);
    }
  }

  has(feat: number): boolean {
    return (this.probe.features & feat) !== 0;
  }

  /** `arm_smmu_capable` / `arm_smmu_dbm_capable`. */
  capable(cap: IommuCap): boolean {
    switch (cap) {
      case 'CACHE_COHERENCY':
        return this.has(ARM_SMMU_FEAT.COHERENCY);
      case 'ENFORCE_CACHE_COHERENCY':
        return this.canwbs;
      case 'DIRTY_TRACKING':
        return this.has(ARM_SMMU_FEAT.HD) && this.has(ARM_SMMU_FEAT.COHERENCY);
    }
  }

  /** `arm_smmu_hw_info`: the raw registers, unmasked (the uAPI's field list is advice to the VMM). */
  #hwInfo(requestedType: number): HwInfoResult {
    if (requestedType !== IOMMU_HW_INFO_TYPE_DEFAULT && requestedType !== IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
      throw new KernelError('EOPNOTSUPP', 'IOMMU_GET_HW_INFO', `arm_smmu_hw_info: type ${requestedType} needs an implementation hw_info`);
    }
    const r = this.regs;
    return {
      type: IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
      length: 40,
      data: { type: IOMMU_HW_INFO_TYPE_ARM_SMMUV3, flags: 0, idr: [r.idr0, r.idr1, r.idr2, r.idr3, r.idr4, r.idr5], iidr: r.iidr, aidr: r.aidr },
    };
  }

  /** `dev->iommu->max_pasids`: min(PCI PASID width, `1 << ssid_bits`), 0 without a PASID capability. */
  maxPasids(dev: HostPciDevice): number {
    const log2 = dev.pasidLog2 ?? 0;
    return log2 > 0 ? 2 ** Math.min(log2, this.probe.ssidBits) : 0;
  }

  /** `arm_smmu_get_resv_regions`: the software MSI window (`IOMMU_RESV_SW_MSI`). */
  reservedRegions(_dev: HostPciDevice): IovaRange[] {
    return [{ start: MSI_IOVA_BASE, last: MSI_IOVA_BASE + MSI_IOVA_LENGTH - 1n }];
  }

  /**
   * `arm_smmu_domain_alloc_paging_flags`: 0 → S1 (S2 without S1); NEST_PARENT → S2 (needs
   * FEAT_NESTING); DIRTY_TRACKING and/or PASID → S1 (dirty needs HD + coherency); any other
   * combination, e.g. NEST_PARENT|DIRTY_TRACKING, and any user data → EOPNOTSUPP.
   */
  domainAllocPaging(dev: HostPciDevice, flags: number, data: IommuHwptData | null): IommuDomain {
    const eop = (why: string) => new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', `arm_smmu_domain_alloc_paging_flags: ${why}`);
    const f = flags & ~IOMMU_HWPT_FAULT_ID_VALID;
    const known = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_NEST_PARENT;
    if (f & ~known || data) throw eop(data ? 'user data on a paging domain' : `flags 0x${f.toString(16)}`);
    let vendor: ArmSmmuDomain;
    switch (f) {
      case 0:
        vendor = { stage: this.has(ARM_SMMU_FEAT.TRANS_S1) ? 'S1' : 'S2', nestParent: false };
        break;
      case IOMMU_HWPT_ALLOC_NEST_PARENT:
        if (!this.kernel.nestingArmSmmuv3 || !this.has(ARM_SMMU_FEAT.NESTING)) throw eop('NEST_PARENT without FEAT_NESTING');
        vendor = { stage: 'S2', nestParent: true };
        break;
      case IOMMU_HWPT_ALLOC_DIRTY_TRACKING:
      case IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID:
      case IOMMU_HWPT_ALLOC_PASID:
        if (f & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !this.capable('DIRTY_TRACKING')) throw eop('dirty tracking needs HTTU HD and coherency');
        if (!this.has(ARM_SMMU_FEAT.TRANS_S1)) throw eop('dirty tracking and PASID need stage 1');
        vendor = { stage: 'S1', nestParent: false };
        break;
      default:
        throw eop(`flags 0x${f.toString(16)} cannot be combined`);
    }
    return { kind: 'paging', owner: this, flags, vendor };
  }

  /**
   * `attach_dev`: a paging domain of another SMMU → EINVAL. Nested: the vSMMU's SMMU must be
   * this one (EINVAL); an S1-translate vSTE needs the device's vDEVICE in that vSMMU
   * (`arm_smmu_attach_prepare_vmaster`: ENOENT); abort/bypass attach without one (GBPA).
   */
  attachDev(domain: IommuDomain, dev: HostPciDevice): void {
    if (domain.kind === 'paging') {
      if (domain.owner !== this) throw new KernelError('EINVAL', 'attach_dev', `domain of ${domain.owner.unit.name}, device behind ${this.unit.name}`);
      return;
    }
    const nested = domain.vendor as ArmSmmuNestedDomain;
    if (nested.vsmmu.owner !== this) {
      throw new KernelError('EINVAL', 'attach_dev', `vSMMU of ${nested.vsmmu.owner.unit.name}, device behind ${this.unit.name}`);
    }
    const vdevs = (nested.vsmmu.vendor as ArmVsmmu).vdevs;
    if (nested.vste.cfg === STE_CFG.S1_TRANS && !vdevs.has(dev.bdf)) {
      throw new KernelError('ENOENT', 'attach_dev', `${dev.bdf} has no vDEVICE for an S1-translate vSTE`);
    }
  }

  /** `arm_smmu_get_viommu_size`: 0 (→ EOPNOTSUPP) unless nesting, no CMDQ_FORCE_SYNC, CANWBS or S2FWB. */
  #getViommuSize(viommuType: number): number {
    if (!this.has(ARM_SMMU_FEAT.NESTING)) return 0;
    if (this.probe.options & ARM_SMMU_OPT.CMDQ_FORCE_SYNC) return 0;
    if (!this.canwbs && !this.has(ARM_SMMU_FEAT.S2FWB)) return 0;
    return viommuType === IOMMU_VIOMMU_TYPE_ARM_SMMUV3 ? 1 : 0;
  }

  /** `arm_vsmmu_init`: the nest parent must belong to this SMMU (EINVAL). */
  viommuInit(parent: IommuDomain, viommuType: number): IommuViommu {
    if (parent.owner !== this) {
      throw new KernelError('EINVAL', 'IOMMU_VIOMMU_ALLOC', `arm_vsmmu_init: S2 parent of ${parent.owner.unit.name}, device behind ${this.unit.name}`);
    }
    const vendor: ArmVsmmu = { vdevs: new Map() };
    return { type: viommuType, owner: this, parent, vendor };
  }

  /** `arm_vsmmu_alloc_domain_nested`: no flags (EOPNOTSUPP), ARM_SMMUV3 data (EINVAL), a valid vSTE (EIO). */
  viommuAllocDomainNested(viommu: IommuViommu, dev: HostPciDevice, flags: number, data: IommuHwptData): IommuDomain {
    if (flags) throw new KernelError('EOPNOTSUPP', 'IOMMU_HWPT_ALLOC', 'arm_vsmmu_alloc_domain_nested: flags');
    if (data.type !== IOMMU_HWPT_DATA_ARM_SMMUV3) {
      throw new KernelError('EINVAL', 'IOMMU_HWPT_ALLOC', `iommu_copy_struct_from_user: data type ${data.type}`);
    }
    const vendor: ArmSmmuNestedDomain = { vsmmu: viommu, vste: armSmmuValidateVste(data) };
    return { kind: 'nested', owner: this, flags, parent: viommu.parent, vendor };
  }

  /** The driver side of `IOMMU_VDEVICE_ALLOC`: records the vSID (`iommufd_viommu_get_vdev_id`). */
  vdeviceInit(viommu: IommuViommu, dev: HostPciDevice, virtId: bigint): void {
    (viommu.vendor as ArmVsmmu).vdevs.set(dev.bdf, virtId);
  }

  vdeviceDestroy(viommu: IommuViommu, dev: HostPciDevice): void {
    (viommu.vendor as ArmVsmmu).vdevs.delete(dev.bdf);
  }
}
