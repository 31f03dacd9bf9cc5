import { expect } from 'chai';
import {
  IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
  IOMMU_HW_INFO_TYPE_INTEL_VTD,
  IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_VTD_S1,
  InputError,
  KernelError,
  type IommuHwptVtdS1,
  type IommuInstance,
} from '@viommu/core';
import { caught } from '@viommu/test-support';
import { decodeCap, decodeEcap, IntelIommuDriver, IOMMU_VTD_S1_EAFE, IOMMU_VTD_S1_SRE } from '../src/index.js';
import { DEV, probe, UNITS } from './hosts.js';

const errno = (f: () => unknown): string => caught(KernelError, f)?.errno ?? 'ok';

const s1 = (addr_width: number, flags = 0n): IommuHwptVtdS1 => ({ type: IOMMU_HWPT_DATA_VTD_S1, flags, pgtbl_addr: 0x1000n, addr_width });

describe('VT-d CAP/ECAP decode (kernel accessor names)', () => {
  it('R770: bit 63 (ESRTPS), SAGAW 48+57, MGAW 57, FS1GP, FS5LP survive as bigint', () => {
    const c = decodeCap(UNITS.serverNested.registers.cap);
    expect(c).to.include({ cap_esrtps: 1n, cap_esirtps: 1n, cap_sagaw: 0xcn, cap_mgaw: 56n, cap_fl1gp_support: 1n, cap_fl5lp_support: 1n, cap_ndoms: 6n });
    expect(c.cap_fault_reg_offset! * 16n).to.equal(0xee0n);
    const e = decodeEcap(UNITS.serverNested.registers.ecap);
    expect(e).to.include({ ecap_nest: 1n, ecap_smts: 1n, ecap_slads: 1n, ecap_smpwc: 1n, ecap_flts: 1n, ecap_slts: 1n, ecap_pss: 19n, ecap_pasid: 1n });
  });
  it('refuses a register wider than 64 bits or missing, naming the unit', () => {
    const d = new IntelIommuDriver();
    expect(() => d.probe({ name: 'dmar9', vendor: 'intel', registers: { cap: 1n << 64n, ecap: 0n } }, probe(UNITS.desktop39).kernel, '')).to.throw(
      InputError,
      'VT-d unit dmar9: cap 0x10000000000000000 does not fit the 64-bit VT-d register',
    );
    expect(() => d.probe({ name: 'dmar9', vendor: 'intel', registers: { cap: 0n } }, probe(UNITS.desktop39).kernel, '')).to.throw(InputError, "missing VT-d register 'ecap'");
  });
});

describe('intel-iommu driver: hw_info, aperture, capabilities', () => {
  it('hw_info: raw CAP/ECAP and ERRATA_772415_SPR17 on every unit from 6.7', () => {
    const r = probe(UNITS.desktop39).hwInfo!(DEV, 0);
    expect(r.type).to.equal(IOMMU_HW_INFO_TYPE_INTEL_VTD);
    expect(r.length).to.equal(24);
    expect(r.data).to.deep.equal({ type: 1, flags: IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, cap_reg: 0xc9008020660262n, ecap_reg: 0xf0105an });
    expect((probe(UNITS.desktop39, '6.6.0').hwInfo!(DEV, 0).data as { flags: number }).flags).to.equal(0);
    expect(probe(UNITS.desktop39, '6.5.0').hwInfo).to.equal(undefined);
    expect(errno(() => probe(UNITS.desktop39).hwInfo!(DEV, IOMMU_HW_INFO_TYPE_ARM_SMMUV3))).to.equal('EOPNOTSUPP');
  });
  it('aperture: desktop MGAW 39 → 2^39-1 (second stage); R650 48-bit; R770 first stage 57-bit minus the canonical bit', () => {
    expect(probe(UNITS.desktop39).aperture.last).to.equal(0x7fffffffffn);
    expect(probe(UNITS.serverNoSm).aperture.last).to.equal(0xffffffffffffn);
    expect(probe(UNITS.serverNested).aperture.last).to.equal((1n << 56n) - 1n);
    expect(probe(UNITS.serverNested, '6.12.0', 'intel_iommu=on,sm_off').aperture.last).to.equal((1n << 57n) - 1n);
  });
  it('pgsize_bitmap: 4K only without SLLPS, 4K|2M|1G with FS1GP, 4K with sp_off', () => {
    expect(probe(UNITS.desktop39).pgsizeBitmap).to.equal(0x1000n);
    expect(probe(UNITS.serverNested).pgsizeBitmap).to.equal(0x40201000n);
    expect(probe(UNITS.serverNested, '6.12.0', 'intel_iommu=sp_off').pgsizeBitmap).to.equal(0x1000n);
  });
  it('DIRTY_TRACKING only with scalable mode, SLADS and SMPWC; the MSI window is reserved', () => {
    expect(probe(UNITS.serverNested).capable('DIRTY_TRACKING')).to.equal(true);
    expect(probe(UNITS.serverNoSm).capable('DIRTY_TRACKING')).to.equal(false);
    expect(probe(UNITS.serverNested, '6.12.0', 'intel_iommu=sm_off').capable('DIRTY_TRACKING')).to.equal(false);
    expect(probe(UNITS.desktop39).reservedRegions(DEV)).to.deep.equal([{ start: 0xfee00000n, last: 0xfeefffffn }]);
  });
  it('no vIOMMU object on VT-d (IOMMU_VIOMMU_ALLOC → EOPNOTSUPP in the core)', () => {
    const inst: IommuInstance = probe(UNITS.serverNested);
    expect(inst.getViommuSize).to.equal(undefined);
    expect(inst.viommuInit).to.equal(undefined);
  });
  it('max PASIDs: 2 << PSS limited by the device; 0 without scalable-mode PASID', () => {
    expect(probe(UNITS.serverNested).maxPasids(DEV)).to.equal(2 ** 20);
    expect(probe(UNITS.serverNoSm).maxPasids(DEV)).to.equal(0);
  });
});

describe('intel-iommu driver: paging domains (intel_iommu_domain_alloc_paging_flags)', () => {
  it('NEST_PARENT needs nested_supported; DIRTY needs ssads; both together on a nesting unit', () => {
    expect(errno(() => probe(UNITS.serverNoSm).domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_NEST_PARENT, null))).to.equal('EOPNOTSUPP');
    expect(errno(() => probe(UNITS.serverNoSm).domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, null))).to.equal('EOPNOTSUPP');
    const d = probe(UNITS.serverNested).domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, null);
    expect(d.vendor).to.include({ stage: 'second', nestParent: true, dirtyTracking: true });
  });
  it('PASID needs scalable mode and a kernel that knows the flag; unknown flags and user data are refused', () => {
    expect(errno(() => probe(UNITS.serverNoSm).domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_PASID, null))).to.equal('EOPNOTSUPP');
    expect(errno(() => probe(UNITS.serverNested, '6.8.0').domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_PASID, null))).to.equal('EOPNOTSUPP');
    expect(errno(() => probe(UNITS.serverNested, '6.13.0').domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_PASID, null))).to.equal('ok');
    expect(errno(() => probe(UNITS.serverNested).domainAllocPaging(DEV, 1 << 7, null))).to.equal('EOPNOTSUPP');
    expect(errno(() => probe(UNITS.serverNested).domainAllocPaging(DEV, 0, s1(48)))).to.equal('EOPNOTSUPP');
  });
  it('attach: a domain from another unit that needs nesting or a wider address is EINVAL', () => {
    const parent = probe(UNITS.serverNested).domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_NEST_PARENT, null);
    expect(errno(() => probe(UNITS.serverNoSm).attachDev(parent, DEV))).to.equal('EINVAL');
    const wide = probe(UNITS.serverNoSm).domainAllocPaging(DEV, 0, null);
    expect(errno(() => probe(UNITS.desktop39).attachDev(wide, DEV))).to.equal('EINVAL');
    expect(errno(() => probe(UNITS.serverNoSm).attachDev(probe(UNITS.desktop39).domainAllocPaging(DEV, 0, null), DEV))).to.equal('ok');
  });
});

describe('intel-iommu driver: nested domains (nested.c)', () => {
  const inst = probe(UNITS.serverNested);
  const parent = inst.domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_NEST_PARENT, null);
  it('allocation: nesting-capable unit, VTD_S1 data, an Intel nest-parent; no nesting before 6.8', () => {
    expect(errno(() => inst.domainAllocNested!(DEV, parent, 0, s1(48)))).to.equal('ok');
    expect(errno(() => inst.domainAllocNested!(DEV, inst.domainAllocPaging(DEV, 0, null), 0, s1(48)))).to.equal('EINVAL');
    expect(errno(() => inst.domainAllocNested!(DEV, parent, IOMMU_HWPT_ALLOC_NEST_PARENT, s1(48)))).to.equal('EOPNOTSUPP');
    expect(probe(UNITS.serverNested, '6.7.0').domainAllocNested).to.equal(undefined);
  });
  it('addr_width, SRE and EAFE are checked at attach (EINVAL), not at allocation', () => {
    const bad = inst.domainAllocNested!(DEV, parent, 0, s1(39));
    expect(errno(() => inst.attachDev(bad, DEV))).to.equal('EINVAL');
    expect(errno(() => inst.attachDev(inst.domainAllocNested!(DEV, parent, 0, s1(57, IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE)), DEV))).to.equal('ok');
    const m50fcp = probe({ name: 'dmar0', vendor: 'intel', registers: { cap: 0x19ed008c40780c66n, ecap: 0x3ee9e86f050dfn & ~(1n << 34n) } });
    const p2 = m50fcp.domainAllocPaging(DEV, IOMMU_HWPT_ALLOC_NEST_PARENT, null);
    expect(errno(() => m50fcp.attachDev(m50fcp.domainAllocNested!(DEV, p2, 0, s1(48, IOMMU_VTD_S1_EAFE)), DEV))).to.equal('EINVAL');
  });
});
