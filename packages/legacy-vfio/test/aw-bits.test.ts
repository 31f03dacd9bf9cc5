import { HOST_IOMMU_DEVICE_CAP_AW_BITS, U64_MAX, awBitsFromIovaRanges, type IovaRange } from '@viommu/core';
import { expect } from 'chai';
import { X86_MSI, host, machine } from './helpers.js';

/**
 * Legacy aw_bits (`vfio_device_get_aw_bits`: highest bit of the last usable range + 1) from
 * IOVA layouts of real machines. Apertures are the vendor driver's domain geometry for the
 * printed registers; reserved regions are what `/sys/kernel/iommu_groups/N/reserved_regions`
 * shows on such machines (the x86 MSI window splits the space; SMMUv3 reserves a software
 * MSI window). 7.2 does not parse the ranges: one host window `[0, UINT64_MAX]` → 64.
 */
interface Layout {
  readonly what: string;
  readonly apertureBits: number;
  readonly resv: string;
  readonly ranges: readonly IovaRange[];
  readonly aw: number;
}

const LAYOUTS: readonly Layout[] = [
  {
    what: 'intel-001 ThinkPad W520, dmar0 cap c0000020e60262 (MGAW 39, SAGAW 39-bit): 39-bit domain, MSI hole',
    apertureBits: 39,
    resv: X86_MSI,
    ranges: [
      { start: 0n, last: 0xfedfffffn },
      { start: 0xfef00000n, last: 0x7fffffffffn },
    ],
    aw: 39,
  },
  {
    what: 'intel-002 Supermicro X12DAi-N6 (Xeon Gold 6346), cap 8ed008c40780466 (MGAW 57, SAGAW 48-bit): 48-bit domain, MSI hole',
    apertureBits: 48,
    resv: X86_MSI,
    ranges: [
      { start: 0n, last: 0xfedfffffn },
      { start: 0xfef00000n, last: 0xffffffffffffn },
    ],
    aw: 48,
  },
  {
    what: 'x86 with an RMRR (0x7c000000-0x7fffffff direct) below the MSI window',
    apertureBits: 39,
    resv: `0x7c000000-0x7fffffff,${X86_MSI}`,
    ranges: [
      { start: 0n, last: 0x7bffffffn },
      { start: 0x80000000n, last: 0xfedfffffn },
      { start: 0xfef00000n, last: 0x7fffffffffn },
    ],
    aw: 39,
  },
  {
    what: 'SMMUv3 stage-1 domain (48-bit input, e.g. TaiShan 200 features 0x1fff), software MSI window 0x8000000-0x80fffff',
    apertureBits: 48,
    resv: '0x8000000-0x80fffff',
    ranges: [
      { start: 0n, last: 0x7ffffffn },
      { start: 0x8100000n, last: 0xffffffffffffn },
    ],
    aw: 48,
  },
];

describe('legacy aw_bits from real IOVA layouts', () => {
  for (const l of LAYOUTS) {
    const h = host({ apertureBits: l.apertureBits, resv: l.resv, devices: [{ bdf: '0000:01:00.0', group: 7 }] });

    it(`${l.what}: ${l.aw} from the IOVA_RANGE capability on 10.0, 10.2, upstream`, () => {
      for (const id of ['10.0', '10.2', 'upstream']) {
        const m = machine(h, id);
        const hiod = m.backend.attachDevice(m.request('0000:01:00.0')).hiod!;
        expect(hiod.getIovaRanges(), id).to.deep.equal(l.ranges);
        expect(hiod.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS), id).to.equal(l.aw);
      }
    });

    it(`${l.what}: 64 on 7.2 (ranges not parsed)`, () => {
      const m = machine(h, '7.2');
      const dev = m.backend.attachDevice(m.request('0000:01:00.0'));
      const ranges = m.backend.containerOf(dev)!.iovaRanges;
      expect(ranges).to.deep.equal([{ start: 0n, last: U64_MAX }]);
      expect(awBitsFromIovaRanges(ranges)).to.equal(64);
    });
  }

  it('groups of a 48-bit and a 39-bit IOMMU share a container: QEMU keeps the ranges read at creation, the kernel narrows to 39 bits', () => {
    const m = machine(
      {
        ...host({ devices: [] }),
        units: [
          { name: 'dmar0', vendor: 'mock', registers: {}, extra: { apertureBits: 48, resv: X86_MSI } },
          { name: 'dmar1', vendor: 'mock', registers: {}, extra: { apertureBits: 39, resv: X86_MSI } },
        ],
        devices: [
          { bdf: '0000:17:00.0', unit: 'dmar0', group: 30, driver: 'vfio-pci' },
          { bdf: '0000:65:00.0', unit: 'dmar1', group: 60, driver: 'vfio-pci' },
        ],
      },
      'upstream',
    );
    m.backend.attachDevice(m.request('0000:17:00.0'));
    const second = m.backend.attachDevice(m.request('0000:65:00.0', m.memory, 0x18));
    // ranges are the container's, fetched when it was created: the first device's 48 bits
    expect(second.hiod!.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS)).to.equal(48);
    expect(m.sim.liveObjects().filter((o) => o.kind === 'vfio-type1-domain')).to.have.length(2);
    const info = m.sim.ioctl(m.backend.containerOf(second)!.fd, 'VFIO_IOMMU_GET_INFO', { argsz: 1024 });
    const iova = info.caps.find((c) => c.id === 1);
    expect(iova && 'iova_ranges' in iova ? iova.iova_ranges.at(-1) : null).to.deep.equal({ start: 0xfef00000n, last: 0x7fffffffffn });
  });
});

describe('legacy page sizes', () => {
  it('iova_pgsizes with bit 63 set survives to the hiod and the trace', () => {
    const m = machine(host({ pgsize: 0xfffffffffffff000n, devices: [{ bdf: '0000:01:00.0', group: 7 }] }), 'upstream');
    const hiod = m.backend.attachDevice(m.request('0000:01:00.0')).hiod!;
    expect(hiod.getPageSizeMask()).to.equal(0xfffffffffffff000n);
    const setup = m.trace.entries.find((e) => e.name === 'vfio_legacy_setup');
    expect(JSON.stringify(m.trace.toJSON())).to.contain('"pgsizes":"0xfffffffffffff000"');
    expect(setup?.args?.pgsizes).to.equal(0xfffffffffffff000n);
  });

  it('sizes below PAGE_SIZE fold into 4 KiB (vfio_update_pgsize_bitmap)', () => {
    const m = machine(host({ pgsize: 0x40201200n, devices: [{ bdf: '0000:01:00.0', group: 7 }] }), '10.0');
    expect(m.backend.attachDevice(m.request('0000:01:00.0')).hiod!.getPageSizeMask()).to.equal(0x40201000n);
  });
});
