import {
  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
  IOMMU_HW_INFO_TYPE_SELFTEST,
  IOMMU_HW_CAP_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_HWPT_FAULT_ID_VALID,
  IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_READABLE,
  IOMMU_IOAS_MAP_WRITEABLE,
  IOMMU_VIOMMU_TYPE_SELFTEST,
  type IommuHwptData,
} from '@viommu/core';
import { expect } from 'chai';
import { Ctx, errnoOf, mockDev, mockHost, mockUnit, simKernel } from './helpers.js';
import { IOMMU_HW_INFO_SELFTEST_REGVAL, MOCK_APERTURE_LAST, MOCK_APERTURE_START } from './mock-driver.js';

/**
 * Ports of tools/testing/selftests/iommu/iommufd.c (Linux 6.17) against the mock driver.
 * Each `it` names the TEST_F it ports; expected errnos are the selftest's.
 */
const selftestData = (iotlb = 0xbadbeef): IommuHwptData => ({ type: IOMMU_HWPT_DATA_SELFTEST, iotlb });
const RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

describe('iommufd selftest ports (mock driver)', () => {
  describe('FIXTURE(iommufd)', () => {
    it('TEST_F(iommufd, cmd_fail): DESTROY id 0 → ENOENT, a foreign ioctl → ENOTTY', () => {
      const c = new Ctx(simKernel());
      expect(errnoOf(() => c.destroy(0))).to.equal('ENOENT');
      expect(errnoOf(() => c.k.ioctl(c.fd, 'VFIO_GROUP_GET_STATUS', undefined))).to.equal('ENOTTY');
    });

    it('iommufd_ioas_alloc_ioctl (no selftest): flags ≠ 0 → EOPNOTSUPP', () => {
      const c = new Ctx(simKernel());
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_ALLOC', { flags: 1 }))).to.equal('EOPNOTSUPP');
    });
  });

  describe('FIXTURE(iommufd_ioas)', () => {
    it('TEST_F(iommufd_ioas, ioas_destroy): EBUSY while a mock domain uses it, else destroyed', () => {
      const k = simKernel();
      const c = new Ctx(k);
      const ioas = c.ioasAlloc();
      c.mockDomain(0, ioas);
      expect(errnoOf(() => c.destroy(ioas))).to.equal('EBUSY');
      const other = c.ioasAlloc();
      c.destroy(other);
      expect(k.liveObjects().some((o) => o.kind === 'ioas' && o.id === other)).to.equal(false);
    });

    it('TEST_F(iommufd_ioas, get_hw_info): sizes, type, test_reg, INPUT_TYPE, pasid 0, no device → ENOENT', () => {
      const c = new Ctx(simKernel());
      const { devId } = c.mockDomain(0, c.ioasAlloc());
      const zero = c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: devId, data_len: 0 });
      expect(zero.data).to.equal(null);
      expect(zero.out_data_type).to.equal(IOMMU_HW_INFO_TYPE_SELFTEST);
      const full = c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: devId, data_len: 8 });
      expect(full.data_len).to.equal(8);
      expect(full.data).to.deep.equal({ type: IOMMU_HW_INFO_TYPE_SELFTEST, flags: 0, test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL });
      expect(full.out_max_pasid_log2).to.equal(0);
      const bigger = c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: devId, data_len: 64 });
      expect(bigger.data_len).to.equal(8);
      const bad = { flags: IOMMU_HW_INFO_FLAG_INPUT_TYPE, dev_id: devId, data_len: 8, in_data_type: IOMMU_HW_INFO_TYPE_SELFTEST + 1 };
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', bad))).to.equal('EOPNOTSUPP');
      const typed = c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { ...bad, in_data_type: IOMMU_HW_INFO_TYPE_SELFTEST });
      expect(typed.out_data_type).to.equal(IOMMU_HW_INFO_TYPE_SELFTEST);
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: 0, data_len: 8 }))).to.equal('ENOENT');
    });

    it('FIXTURE_SETUP(iommufd_device_pasid): a PASID device reports out_max_pasid_log2 = MOCK_PASID_WIDTH', () => {
      const host = mockHost({ devices: [mockDev('0000:01:00.0', 'mock0', { pasidLog2: 20, pasidExec: true })] });
      const c = new Ctx(simKernel(host));
      const { devId } = c.mockDomain(0, c.ioasAlloc());
      const info = c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: devId, data_len: 0 });
      expect(info.out_max_pasid_log2).to.equal(20);
      expect(info.out_capabilities).to.equal(IOMMU_HW_CAP_DIRTY_TRACKING | (1n << 1n));
    });

    it('TEST_F(iommufd_ioas, alloc_hwpt_nested): bad ids, bad flags, bad data, parent rules, EBUSY', () => {
      const c = new Ctx(simKernel());
      const ioas = c.ioasAlloc();
      const { devId } = c.mockDomain(0, ioas);
      const err = (fn: () => unknown) => errnoOf(fn);
      expect(err(() => c.hwptAlloc(ioas, ioas, 0))).to.equal('ENOENT'); // dev_id is an IOAS
      expect(err(() => c.hwptAlloc(devId, devId, 0))).to.equal('EINVAL'); // pt_id is a device
      expect(err(() => c.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID))).to.equal('EOPNOTSUPP');
      const parent = c.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
      const notParent = c.hwptAlloc(devId, ioas, 0);
      expect(err(() => c.hwptAlloc(devId, parent, 0, { data: selftestData() }))).to.equal('EINVAL'); // data_type NONE with data
      const unknownType = { data_type: IOMMU_HWPT_DATA_SELFTEST + 1, data: { type: IOMMU_HWPT_DATA_SELFTEST + 1, iotlb: 0 } as never };
      expect(err(() => c.hwptAlloc(devId, parent, 0, unknownType))).to.equal('EOPNOTSUPP');
      const sel = { data_type: IOMMU_HWPT_DATA_SELFTEST, data: selftestData() };
      expect(err(() => c.hwptAlloc(devId, parent, IOMMU_HWPT_ALLOC_NEST_PARENT, sel))).to.equal('EOPNOTSUPP');
      expect(err(() => c.hwptAlloc(devId, notParent, 0, sel))).to.equal('EINVAL');
      const nested0 = c.hwptAlloc(devId, parent, 0, sel);
      const nested1 = c.hwptAlloc(devId, parent, 0, sel);
      expect(err(() => c.hwptAlloc(devId, nested0, 0, sel))).to.equal('EINVAL'); // nested on nested
      expect(err(() => c.destroy(parent))).to.equal('EBUSY');
      c.destroy(nested1);
      c.attach(devId, nested0); // replace the mock domain with the nested HWPT
      expect(err(() => c.destroy(nested0))).to.equal('EBUSY');
      c.attach(devId, parent);
      c.destroy(nested0);
      c.attach(devId, ioas);
      c.destroy(parent);
      c.destroy(notParent);
    });

    it('TEST_F(iommufd_ioas, alloc_hwpt_nested) without a device: HWPT_ALLOC → ENOENT', () => {
      const c = new Ctx(simKernel());
      const ioas = c.ioasAlloc();
      expect(errnoOf(() => c.hwptAlloc(0, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT))).to.equal('ENOENT');
    });

    it('TEST_F(iommufd_ioas, hwpt_attach): a device attached straight to an existing HWPT', () => {
      const c = new Ctx(simKernel());
      const ioas = c.ioasAlloc();
      const { devId, hwptId } = c.mockDomain(0, ioas);
      const second = c.bind(1);
      expect(c.attach(second, hwptId)).to.equal(hwptId);
      expect(devId).to.not.equal(second);
    });

    it('TEST_F(iommufd_ioas, area) / unmap_fully_contained_areas: ENOENT for nothing or a split, EEXIST on overlap', () => {
      const c = new Ctx(simKernel());
      const ioas = c.ioasAlloc();
      const map = (iova: bigint, length: bigint) =>
        c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW | IOMMU_IOAS_MAP_FIXED_IOVA, ioas_id: ioas, user_va: 0x10000n, length, iova }).iova;
      const unmap = (iova: bigint, length: bigint) => c.k.ioctl(c.fd, 'IOMMU_IOAS_UNMAP', { ioas_id: ioas, iova, length }).length;
      expect(errnoOf(() => unmap(MOCK_APERTURE_START, 4096n))).to.equal('ENOENT');
      map(MOCK_APERTURE_START, 8192n);
      expect(errnoOf(() => map(MOCK_APERTURE_START + 4096n, 8192n))).to.equal('EEXIST');
      expect(errnoOf(() => unmap(MOCK_APERTURE_START, 4096n))).to.equal('ENOENT');
      map(MOCK_APERTURE_START + 16384n, 4096n);
      expect(unmap(MOCK_APERTURE_START, 65536n)).to.equal(12288n);
      expect(unmap(0n, (1n << 64n) - 1n)).to.equal(0n); // unmap all on an empty IOAS
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: IOMMU_IOAS_MAP_FIXED_IOVA, ioas_id: ioas, user_va: 0n, length: 4096n, iova: 0n }))).to.equal('EINVAL');
      // iommufd_ioas_map checks its arguments before it looks the IOAS up
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: 0, ioas_id: 99, user_va: 0n, length: 4096n, iova: 0n }))).to.equal('EINVAL');
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW, ioas_id: 99, user_va: 0n, length: 4096n, iova: 0n }))).to.equal('ENOENT');
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW, ioas_id: ioas, user_va: 0n, length: (1n << 64n) - 1n, iova: 0n }))).to.equal('EOVERFLOW');
    });

    it('TEST_F(iommufd_ioas, area_auto_iova): auto IOVAs are aligned to the length', () => {
      const c = new Ctx(simKernel());
      const ioas = c.ioasAlloc();
      c.mockDomain(0, ioas);
      for (const length of [4096n, 8192n, 65536n, 0x30000n]) {
        const { iova } = c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW, ioas_id: ioas, user_va: 0n, length, iova: 0n });
        expect(iova % (length === 0x30000n ? 0x40000n : length)).to.equal(0n); // roundup_pow_of_two(length)
        expect(iova >= MOCK_APERTURE_START && iova + length - 1n <= MOCK_APERTURE_LAST).to.equal(true);
      }
      // a user_va aligned below the length lowers the IOVA alignment to the user_va's
      const { iova } = c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW, ioas_id: ioas, user_va: 0x1000n, length: 0x100000n, iova: 0n });
      expect(iova % 0x1000n).to.equal(0n);
      // 16 MiB asks for at most HPAGE_SIZE (2 MiB) alignment: the first 2 MiB-aligned fit after the maps above
      const big = c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW, ioas_id: ioas, user_va: 0n, length: 16n << 20n, iova: 0n });
      expect(big.iova).to.equal(MOCK_APERTURE_START + (2n << 20n));
      // … but never below the IOAS alignment (MOCK_IO_PAGE_SIZE)
      const low = { flags: RW, ioas_id: ioas, user_va: 0x400n, length: 0x100000n, iova: 0n };
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', low))).to.equal('EINVAL');
    });

    it('TEST_F(iommufd_ioas, iova_ranges): the aperture of the mock domain, EMSGSIZE with the count when short', () => {
      const c = new Ctx(simKernel());
      const ioas = c.ioasAlloc();
      const empty = c.k.ioctl(c.fd, 'IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 1 });
      expect(empty.allowed_iovas).to.deep.equal([{ start: 0n, last: (1n << 64n) - 1n }]); // bit 63 survives
      c.mockDomain(0, ioas);
      const r = c.k.ioctl(c.fd, 'IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 1 });
      expect(r.allowed_iovas).to.deep.equal([{ start: MOCK_APERTURE_START, last: MOCK_APERTURE_LAST }]);
      expect(r.out_iova_alignment).to.equal(2048n);
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 0 }))).to.equal('EMSGSIZE');
    });

    it('iopt_table_enforce_dev_resv_regions: attaching over a mapped reserved region → EADDRINUSE', () => {
      const host = mockHost({ units: [mockUnit('mock0', { resv: '0x2000000:0x20fffff' })] });
      const c = new Ctx(simKernel(host));
      const ioas = c.ioasAlloc();
      c.k.ioctl(c.fd, 'IOMMU_IOAS_MAP', { flags: RW | IOMMU_IOAS_MAP_FIXED_IOVA, ioas_id: ioas, user_va: 0n, length: 4096n, iova: 0x2000000n });
      const devId = c.bind(0);
      expect(errnoOf(() => c.attach(devId, ioas))).to.equal('EADDRINUSE');
    });
  });

  describe('FIXTURE(iommufd_mock_domain)', () => {
    it('TEST_F(iommufd_mock_domain, alloc_hwpt): unknown flag → EOPNOTSUPP; replace rotation; EBUSY while attached', () => {
      const k = simKernel();
      const c = new Ctx(k);
      const ioas = c.ioasAlloc();
      const { devId } = c.mockDomain(0, ioas);
      expect(errnoOf(() => c.hwptAlloc(devId, ioas, 1 << 4))).to.equal('EOPNOTSUPP');
      const h0 = c.hwptAlloc(devId, ioas, 0);
      const h1 = c.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
      c.attach(devId, h0);
      expect(errnoOf(() => c.destroy(h0))).to.equal('EBUSY');
      c.attach(devId, h1);
      expect(errnoOf(() => c.destroy(h1))).to.equal('EBUSY');
      c.attach(devId, ioas);
      c.destroy(h1);
      c.destroy(h0);
      expect(k.liveObjects().filter((o) => o.kind === 'hwpt_paging')).to.have.length(1); // the auto domain
    });
  });

  describe('FIXTURE(iommufd_dirty_tracking)', () => {
    const host = () =>
      mockHost({
        units: [mockUnit('mock0'), mockUnit('mock1', { noDirty: true })],
        devices: [mockDev('0000:01:00.0', 'mock0'), mockDev('0000:02:00.0', 'mock1')],
      });

    it('TEST_F(iommufd_dirty_tracking, enforce_dirty): NO_DIRTY device → EINVAL on attach, EOPNOTSUPP on alloc', () => {
      const c = new Ctx(simKernel(host()));
      const ioas = c.ioasAlloc();
      const dev = c.bind(0);
      const noDirty = c.bind(1);
      const hwpt = c.hwptAlloc(dev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      c.attach(dev, hwpt);
      expect(errnoOf(() => c.attach(noDirty, hwpt))).to.equal('EINVAL');
      expect(errnoOf(() => c.hwptAlloc(noDirty, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING))).to.equal('EOPNOTSUPP');
    });

    it('TEST_F(iommufd_dirty_tracking, set_dirty_tracking) and device_dirty_capability', () => {
      const c = new Ctx(simKernel(host()));
      const ioas = c.ioasAlloc();
      const dev = c.bind(0);
      const hwpt = c.hwptAlloc(dev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      c.k.ioctl(c.fd, 'IOMMU_HWPT_SET_DIRTY_TRACKING', { flags: 1, hwpt_id: hwpt });
      c.k.ioctl(c.fd, 'IOMMU_HWPT_SET_DIRTY_TRACKING', { flags: 0, hwpt_id: hwpt });
      const plain = c.hwptAlloc(dev, ioas, 0);
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_HWPT_SET_DIRTY_TRACKING', { flags: 1, hwpt_id: plain }))).to.equal('EOPNOTSUPP');
      const caps = (d: number) => c.k.ioctl(c.fd, 'IOMMU_GET_HW_INFO', { flags: 0, dev_id: d, data_len: 0 }).out_capabilities;
      expect(caps(dev) & IOMMU_HW_CAP_DIRTY_TRACKING).to.equal(IOMMU_HW_CAP_DIRTY_TRACKING);
      expect(caps(c.bind(1))).to.equal(0n);
    });
  });

  describe('FIXTURE(iommufd_viommu)', () => {
    function setup() {
      const k = simKernel();
      const c = new Ctx(k);
      const ioas = c.ioasAlloc();
      const { devId } = c.mockDomain(0, ioas);
      const parent = c.hwptAlloc(devId, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
      const viommuAlloc = (hwpt_id: number, type = IOMMU_VIOMMU_TYPE_SELFTEST, dev_id = devId) =>
        c.k.ioctl(c.fd, 'IOMMU_VIOMMU_ALLOC', { flags: 0, type, dev_id, hwpt_id }).out_viommu_id;
      return { k, c, ioas, devId, parent, viommuAlloc };
    }

    it('TEST_F(iommufd_viommu, viommu_negative_tests): ENOENT, EINVAL, EOPNOTSUPP, EBUSY', () => {
      const { c, ioas, devId, parent, viommuAlloc } = setup();
      expect(errnoOf(() => viommuAlloc(0))).to.equal('ENOENT');
      expect(errnoOf(() => viommuAlloc(c.hwptAlloc(devId, ioas, 0)))).to.equal('EINVAL');
      expect(errnoOf(() => viommuAlloc(parent, 0xdead))).to.equal('EOPNOTSUPP');
      expect(errnoOf(() => viommuAlloc(parent, IOMMU_VIOMMU_TYPE_SELFTEST, 0))).to.equal('ENOENT');
      const viommu = viommuAlloc(parent);
      const nested = c.hwptAlloc(devId, viommu, 0, { data_type: IOMMU_HWPT_DATA_SELFTEST, data: selftestData() });
      expect(errnoOf(() => c.destroy(parent))).to.equal('EBUSY');
      expect(errnoOf(() => c.destroy(viommu))).to.equal('EBUSY');
      c.destroy(nested);
      c.destroy(viommu);
      c.destroy(parent);
    });

    it('TEST_F(iommufd_viommu, vdevice_alloc): EEXIST for a second vDEVICE, a new one after destroy', () => {
      const { c, devId, parent, viommuAlloc } = setup();
      const viommu = viommuAlloc(parent);
      const vdev = (dev_id: number, virt_id: bigint) => c.k.ioctl(c.fd, 'IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id, virt_id }).out_vdevice_id;
      const v = vdev(devId, 0x99n);
      expect(errnoOf(() => vdev(devId, 0x99n))).to.equal('EEXIST');
      expect(errnoOf(() => vdev(c.bind(1), 0x99n))).to.equal('EEXIST'); // virt_id taken in this vIOMMU
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_VDEVICE_ALLOC', { viommu_id: 0, dev_id: devId, virt_id: 1n }))).to.equal('ENOENT');
      c.destroy(v);
      vdev(devId, 0x88n);
      expect(errnoOf(() => c.k.ioctl(c.fd, 'IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: devId, virt_id: 1n << 64n }))).to.equal('EINVAL');
    });
  });
});
