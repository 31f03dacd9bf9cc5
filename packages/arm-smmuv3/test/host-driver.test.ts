import { expect } from 'chai';
import {
  InputError,
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_ARM_SMMUV3,
  IOMMU_HWPT_DATA_VTD_S1,
  IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
  IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
  KernelError,
  kernelFeatures,
  type HostIommuUnit,
  type HostPciDevice,
  type IommuDomain,
  type IommuInstance,
} from '@viommu/core';
import { caught } from '@viommu/test-support';
import {
  ARM_SMMU_FEAT,
  ArmSmmuV3Driver,
  armSmmuHwProbe,
  FEAT_NOT_FROM_IDRS,
  idRegsFromFeatures,
  smmuUnitRegisters,
  type ArmSmmuV3Instance,
} from '../src/index.js';
import { GRACE, GRACE_2, REAL_PROBE_LINES, regUnit, RK3588, THUNDERX2 } from './host-units.js';

const driver = new ArmSmmuV3Driver();
const K618 = kernelFeatures('6.18.0');
const probe = (unit: HostIommuUnit, release = '6.18.0') => driver.probe(unit, kernelFeatures(release), '') as ArmSmmuV3Instance;
const dev = (unit: string, bdf = '0000:01:00.0', pasidLog2 = 0): HostPciDevice => ({ bdf, unit, group: 1, driver: 'vfio-pci', pasidLog2 });
const errno = (fn: () => unknown): string => caught(KernelError, fn)?.errno ?? 'ok';

/**
 * A server SMMU written out as registers. IDR0: S2P|S1P|TTF=2|COHACC|HTTU=2 (HA+HD)|ATS|ASID16|MSI|
 * VMID16|CD2L|TTENDIAN=LE|STLEVEL=2-level; IDR1: SIDSIZE 16, SSIDSIZE 20, PRIQS/EVENTQS/CMDQS 19;
 * IDR3: FWB|RIL|BBML=2; IDR5: OAS 48-bit, 4K/16K/64K.
 */
const HTTU_REGS = {
  idr0: 0x084c349bn,
  idr1: 0x02739d10n,
  idr2: 0n,
  idr3: 0x1500n,
  idr4: 0n,
  idr5: 0x75n,
  iidr: 0x0n,
  aidr: 0x2n,
};

describe('arm-smmu-v3 driver model', () => {
  describe('probe lines from real hosts → ID registers → features (arm_smmu_device_hw_probe)', () => {
    for (const p of REAL_PROBE_LINES) {
      it(`${p.host}: "${p.raw}" round-trips every IDR-derived feature bit`, () => {
        const printed = Number(BigInt(p.unit.extra!.features as string));
        const regs = smmuUnitRegisters(p.unit);
        const coherent = (printed & ARM_SMMU_FEAT.COHERENCY) !== 0;
        const f = armSmmuHwProbe(regs, { coherent }).features;
        expect((f & ~FEAT_NOT_FROM_IDRS).toString(16)).to.equal((printed & ~FEAT_NOT_FROM_IDRS).toString(16));
        expect(probe(p.unit).probe.oas).to.equal(p.unit.extra!.oas);
      });
    }
    it('lists every field the features word does not carry as assumed', () => {
      const d = idRegsFromFeatures(0x001e1fbf, 48, 48);
      expect(d.assumed.join('\n')).to.match(/GRAN4K/).and.match(/SIDSIZE = 16/).and.match(/IIDR = 0/);
    });
    it('an ias larger than oas means AArch32+64 translation tables (Linux sets ias 40 only then)', () => {
      expect((idRegsFromFeatures(0x170d, 40, 36).registers.idr0 >> 2n) & 3n).to.equal(3n);
    });
  });

  describe('probe refusals (dev_err, ENODEV)', () => {
    it('big-endian-only tables: "unknown/unsupported TT endianness!"', () => {
      const e = catchK(() => probe(regUnit('be', { ...HTTU_REGS, idr0: HTTU_REGS.idr0 | (3n << 21n) })));
      expect([e.errno, e.reason]).to.deep.equal(['ENODEV', 'unknown/unsupported TT endianness!']);
    });
    it('no stage: "no translation support!"', () => {
      expect(catchK(() => probe(regUnit('none', { ...HTTU_REGS, idr0: HTTU_REGS.idr0 & ~3n }))).reason).to.equal('no translation support!');
    });
    it('no registers and no probe line', () => {
      expect(catchK(() => probe(regUnit('empty', {}))).errno).to.equal('ENODEV');
    });
    it('a register with bit 63 set is bad input, not a 32-bit SMMU register', () => {
      expect(() => probe(regUnit('wide', { ...HTTU_REGS, idr0: HTTU_REGS.idr0 | (1n << 63n) }))).to.throw(InputError, /idr0 0x800000000/);
    });
  });

  describe('hw_info (arm_smmu_hw_info)', () => {
    it('returns the raw registers, unmasked: HTTU, BTM and MPAM bits the uAPI tells the VMM to ignore stay', () => {
      const regs = { ...HTTU_REGS, idr0: HTTU_REGS.idr0 | (1n << 5n), idr3: HTTU_REGS.idr3 | (1n << 7n), iidr: 0x4832043bn };
      const hw = probe(regUnit('raw', regs)).hwInfo!(dev('raw'), 0);
      expect(hw.type).to.equal(IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
      expect(hw.length).to.equal(40);
      expect(hw.data).to.deep.equal({
        type: IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
        flags: 0,
        idr: [regs.idr0, regs.idr1, 0n, regs.idr3, 0n, regs.idr5],
        iidr: 0x4832043bn,
        aidr: 0x2n,
      });
    });
    it('a type other than DEFAULT/ARM_SMMUV3 without an implementation hw_info → EOPNOTSUPP', () => {
      expect(errno(() => probe(GRACE.unit).hwInfo!(dev(GRACE.unit.name), IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV))).to.equal('EOPNOTSUPP');
    });
    it('before 6.14 the driver has no hw_info (the kernel reports type NONE)', () => {
      expect(probe(GRACE.unit, '6.12.38').hwInfo).to.equal(undefined);
    });
  });

  describe('paging domains (arm_smmu_domain_alloc_paging_flags)', () => {
    const grace = () => probe(GRACE.unit);
    const httu = () => probe(regUnit('httu', HTTU_REGS));
    const alloc = (i: IommuInstance, flags: number) => errno(() => i.domainAllocPaging(dev(i.unit.name), flags, null));
    it('flags 0 → stage 1; NEST_PARENT → stage 2 nest parent', () => {
      const i = grace();
      expect((i.domainAllocPaging(dev(i.unit.name), 0, null).vendor as { stage: string }).stage).to.equal('S1');
      expect(i.domainAllocPaging(dev(i.unit.name), IOMMU_HWPT_ALLOC_NEST_PARENT, null).vendor).to.deep.equal({ stage: 'S2', nestParent: true });
    });
    it('NEST_PARENT | DIRTY_TRACKING → EOPNOTSUPP, even with HTTU dirty bits', () => {
      expect(alloc(httu(), IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).to.equal('EOPNOTSUPP');
      expect(alloc(httu(), IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).to.equal('ok');
    });
    it('NEST_PARENT | PASID → EOPNOTSUPP; PASID alone → stage 1', () => {
      expect(alloc(grace(), IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID)).to.equal('EOPNOTSUPP');
      expect(alloc(grace(), IOMMU_HWPT_ALLOC_PASID)).to.equal('ok');
    });
    it('DIRTY_TRACKING needs HTTU HD + coherency (Grace prints no HA/HD) → EOPNOTSUPP', () => {
      expect(grace().capable('DIRTY_TRACKING')).to.equal(false);
      expect(httu().capable('DIRTY_TRACKING')).to.equal(true);
      expect(alloc(grace(), IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).to.equal('EOPNOTSUPP');
    });
    it('NEST_PARENT needs FEAT_NESTING: MMU-600 r1 (IIDR 0x4831043b, erratum) and kernels before 6.14 → EOPNOTSUPP', () => {
      const mmu600r1 = probe(regUnit('mmu600', { ...HTTU_REGS, iidr: 0x4831043bn }));
      expect(mmu600r1.has(ARM_SMMU_FEAT.NESTING)).to.equal(false);
      expect(alloc(mmu600r1, IOMMU_HWPT_ALLOC_NEST_PARENT)).to.equal('EOPNOTSUPP');
      expect(alloc(probe(regUnit('mmu600r2', { ...HTTU_REGS, iidr: 0x4832043bn })), IOMMU_HWPT_ALLOC_NEST_PARENT)).to.equal('ok');
      expect(alloc(probe(GRACE.unit, '6.12.0'), IOMMU_HWPT_ALLOC_NEST_PARENT)).to.equal('EOPNOTSUPP');
    });
    it('user data on a paging domain → EOPNOTSUPP', () => {
      const i = grace();
      expect(errno(() => i.domainAllocPaging(dev(i.unit.name), 0, { type: IOMMU_HWPT_DATA_ARM_SMMUV3, ste: [0n, 0n] }))).to.equal('EOPNOTSUPP');
    });
    it('attach to a domain of another SMMU instance → EINVAL', () => {
      const a = probe(GRACE.unit);
      const b = probe(GRACE_2.unit);
      const d = a.domainAllocPaging(dev(a.unit.name), 0, null);
      expect(errno(() => b.attachDev(d, dev(b.unit.name)))).to.equal('EINVAL');
      expect(errno(() => a.attachDev(d, dev(a.unit.name)))).to.equal('ok');
    });
    it('reserves the software MSI window 0x8000000..0x80fffff; aperture 48 bits; page sizes of the granules', () => {
      const i = grace();
      expect(i.reservedRegions(dev(i.unit.name))).to.deep.equal([{ start: 0x8000000n, last: 0x80fffffn }]);
      expect(i.aperture).to.deep.equal({ start: 0n, last: (1n << 48n) - 1n });
      // 4K|2M|1G, 16K|32M, 64K|512M
      expect(i.pgsizeBitmap).to.equal(0x62215000n);
    });
    it('max_pasids: min(device PASID width, SSIDSIZE); 0 without a PASID capability', () => {
      const i = grace();
      expect(i.maxPasids(dev(i.unit.name, 'x', 0))).to.equal(0);
      expect(i.maxPasids(dev(i.unit.name, 'x', 16))).to.equal(1 << 16);
      expect(i.maxPasids(dev(i.unit.name, 'x', 22))).to.equal(1 << 20);
    });
  });

  describe('vSMMU (arm_smmu_get_viommu_size, arm_vsmmu_init)', () => {
    const size = (i: IommuInstance, type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3) => i.getViommuSize!(dev(i.unit.name), type);
    it('Grace (nesting, coherent → CANWBS assumed): supported', () => {
      expect(size(probe(GRACE.unit))).to.be.greaterThan(0);
    });
    it('RK3588 (nesting but not coherent, no S2FWB): 0 → IOMMU_VIOMMU_ALLOC fails EOPNOTSUPP', () => {
      expect(size(probe(RK3588.unit))).to.equal(0);
    });
    it('a non-CANWBS device needs S2FWB', () => {
      expect(size(probe({ ...GRACE.unit, extra: { ...GRACE.unit.extra, canwbs: false } }))).to.equal(0);
      expect(size(probe(regUnit('fwb', HTTU_REGS, { canwbs: false })))).to.be.greaterThan(0);
    });
    it('CMDQ_FORCE_SYNC (option 0x8, MMU-700 erratum) and non-ARM_SMMUV3 types: 0', () => {
      expect(size(probe({ ...GRACE.unit, extra: { ...GRACE.unit.extra, options: 0x8 } }))).to.equal(0);
      expect(size(probe(GRACE.unit), IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV)).to.equal(0);
    });
    it('ThunderX2 as printed by an old kernel: S1+S2 give FEAT_NESTING on ≥ 6.14', () => {
      expect(size(probe(THUNDERX2.unit))).to.be.greaterThan(0);
    });
    it('the S2 parent must be on the device\'s SMMU → EINVAL', () => {
      const a = probe(GRACE.unit);
      const b = probe(GRACE_2.unit);
      const s2 = a.domainAllocPaging(dev(a.unit.name), IOMMU_HWPT_ALLOC_NEST_PARENT, null);
      expect(errno(() => b.viommuInit(s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3))).to.equal('EINVAL');
      expect(a.viommuInit(s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3).owner).to.equal(a);
    });
  });

  describe('nested domains from a vSTE (arm_vsmmu_alloc_domain_nested, arm_smmu_validate_vste)', () => {
    const setup = () => {
      const a = probe(GRACE.unit);
      const d = dev(a.unit.name);
      const s2 = a.domainAllocPaging(d, IOMMU_HWPT_ALLOC_NEST_PARENT, null);
      const v = a.viommuInit(s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3);
      const nest = (ste: [bigint, bigint], flags = 0) => a.viommuAllocDomainNested(v, d, flags, { type: IOMMU_HWPT_DATA_ARM_SMMUV3, ste });
      return { a, d, v, nest };
    };
    // V | Config=5 (S1 translate) | S1ContextPtr | S1CDMax=31 (bits 63..59, bit 63 set).
    const S1_STE0 = 1n | (5n << 1n) | 0x4000_0000n | (0x1fn << 59n);
    it('an S1-translate vSTE with S1CDMax bit 63 set is accepted and kept bit for bit', () => {
      const { nest } = setup();
      const dom: IommuDomain = nest([S1_STE0, 1n << 28n]);
      expect((dom.vendor as { vste: { ste: bigint[]; enableAts: boolean } }).vste).to.deep.equal({ ste: [S1_STE0, 0n], cfg: 5, enableAts: true });
    });
    it('a non-valid vSTE is zeroed (installs as abort)', () => {
      const { nest } = setup();
      expect((nest([0xfffn << 52n, 0xffn]).vendor as { vste: { ste: bigint[] } }).vste.ste).to.deep.equal([0n, 0n]);
    });
    it('bits outside STRTAB_STE_0/1_NESTING_ALLOWED → EIO', () => {
      const { nest } = setup();
      expect(errno(() => nest([S1_STE0 | (1n << 55n), 0n]))).to.equal('EIO');
      expect(errno(() => nest([S1_STE0, 1n << 8n]))).to.equal('EIO');
    });
    it('Config S2 (6) or nested (7) → EIO; abort (0) and bypass (4) are fine', () => {
      const { nest } = setup();
      expect(errno(() => nest([1n | (6n << 1n), 0n]))).to.equal('EIO');
      expect(errno(() => nest([1n | (7n << 1n), 0n]))).to.equal('EIO');
      expect(errno(() => nest([1n, 0n]))).to.equal('ok');
      expect(errno(() => nest([1n | (4n << 1n), 0n]))).to.equal('ok');
    });
    it('EATS S1CHK (2) → EIO', () => {
      expect(errno(() => setup().nest([S1_STE0, 2n << 28n]))).to.equal('EIO');
    });
    it('any flags → EOPNOTSUPP; VT-d data → EINVAL (iommu_copy_struct_from_user type check)', () => {
      const { a, d, v, nest } = setup();
      expect(errno(() => nest([S1_STE0, 0n], 1))).to.equal('EOPNOTSUPP');
      expect(errno(() => a.viommuAllocDomainNested!(v, d, 0, { type: IOMMU_HWPT_DATA_VTD_S1, flags: 0n, pgtbl_addr: 0n, addr_width: 48 }))).to.equal('EINVAL');
    });
    it('attach: S1 translate needs the vDEVICE (ENOENT), bypass/abort do not; after vDEVICE destroy ENOENT again', () => {
      const { a, d, v, nest } = setup();
      const s1 = nest([S1_STE0, 0n]);
      const bypass = nest([1n | (4n << 1n), 0n]);
      expect(errno(() => a.attachDev(s1, d))).to.equal('ENOENT');
      expect(errno(() => a.attachDev(bypass, d))).to.equal('ok');
      a.vdeviceInit!(v, d, 0x100n);
      expect(errno(() => a.attachDev(s1, d))).to.equal('ok');
      a.vdeviceDestroy!(v, d);
      expect(errno(() => a.attachDev(s1, d))).to.equal('ENOENT');
    });
    it('a nested domain of a vSMMU on SMMU A attached to a device behind SMMU B → EINVAL', () => {
      const { nest } = setup();
      const b = probe(GRACE_2.unit);
      expect(errno(() => b.attachDev(nest([1n | (4n << 1n), 0n]), dev(b.unit.name, '0000:02:00.0')))).to.equal('EINVAL');
    });
  });

  it('kernel features are read from the release', () => {
    expect(K618.nestingArmSmmuv3).to.equal(true);
  });
});

function catchK(fn: () => unknown): KernelError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelError) return e;
    throw e;
  }
  throw new Error('no KernelError');
}
