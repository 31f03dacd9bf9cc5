import {
  KernelError,
  VFIO_GROUP_FLAGS_CONTAINER_SET,
  VFIO_GROUP_FLAGS_VIABLE,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  type ErrnoName,
  type HostModel,
} from '@viommu/core';
import { thrown } from '@viommu/test-support';
import { expect } from 'chai';
import { host, kernelFor } from './helpers.js';

/**
 * The simulated type1 uAPI against the kernel source: `drivers/vfio/container.c`
 * (`vfio_fops_unl_ioctl`, `vfio_ioctl_set_iommu`, `vfio_container_attach_group`),
 * `drivers/vfio/group.c` (`vfio_group_ioctl_*`, `vfio_group_fops_open`) and
 * `drivers/vfio/vfio_iommu_type1.c` (`vfio_iommu_type1_get_info`, `_check_extension`).
 */

const errno = (fn: () => unknown): ErrnoName => thrown(KernelError, fn).errno;

const ONE = host({ devices: [{ bdf: '0000:01:00.0', group: 7 }] });

/** A container with group 7 set and type1v2 on. */
function ready(h: HostModel = ONE) {
  const k = kernelFor(h);
  const container = k.sim.open('/dev/vfio/vfio');
  const group = k.sim.open('/dev/vfio/7');
  k.sim.ioctl(group, 'VFIO_GROUP_SET_CONTAINER', { container_fd: container });
  k.sim.ioctl(container, 'VFIO_SET_IOMMU', 3);
  return { ...k, container, group };
}

describe('type1 container (/dev/vfio/vfio)', () => {
  it('answers API version and extensions before an IOMMU is set; refuses SET_IOMMU without a group and GET_INFO', () => {
    const { sim } = kernelFor(ONE);
    const c = sim.open('/dev/vfio/vfio');
    expect(sim.ioctl(c, 'VFIO_GET_API_VERSION', undefined)).to.equal(0);
    expect([1, 2, 3, 4, 7, 9, 10].map((x) => sim.ioctl(c, 'VFIO_CHECK_EXTENSION', x))).to.deep.equal([1, 0, 1, 0, 0, 1, 0]);
    expect(errno(() => sim.ioctl(c, 'VFIO_SET_IOMMU', 3))).to.equal('EINVAL');
    expect(errno(() => sim.ioctl(c, 'VFIO_IOMMU_GET_INFO', { argsz: 24 }))).to.equal('EINVAL');
  });

  it('without the type1 driver every extension is 0 and SET_IOMMU is ENODEV', () => {
    const { sim } = kernelFor(host({ devices: [{ group: 7 }], vfioType1: false }));
    const c = sim.open('/dev/vfio/vfio');
    const g = sim.open('/dev/vfio/7');
    expect(sim.ioctl(c, 'VFIO_CHECK_EXTENSION', 3)).to.equal(0);
    sim.ioctl(g, 'VFIO_GROUP_SET_CONTAINER', { container_fd: c });
    expect(errno(() => sim.ioctl(c, 'VFIO_SET_IOMMU', 3))).to.equal('ENODEV');
  });

  it('after SET_IOMMU: UPDATE_VADDR and DMA_CC answered by the backend, a second SET_IOMMU is EINVAL', () => {
    const { sim, container } = ready();
    expect(sim.ioctl(container, 'VFIO_CHECK_EXTENSION', 10)).to.equal(1);
    expect(sim.ioctl(container, 'VFIO_CHECK_EXTENSION', 4)).to.equal(0);
    expect(errno(() => sim.ioctl(container, 'VFIO_SET_IOMMU', 3))).to.equal('EINVAL');
  });

  it('GET_INFO: argsz below 16 is EINVAL; 24 only learns the size; the full size gets MIGRATION, DMA_AVAIL, IOVA_RANGE at offset 24', () => {
    const { sim, container } = ready();
    expect(errno(() => sim.ioctl(container, 'VFIO_IOMMU_GET_INFO', { argsz: 15 }))).to.equal('EINVAL');
    const flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
    expect(sim.ioctl(container, 'VFIO_IOMMU_GET_INFO', { argsz: 24 })).to.deep.equal({ argsz: 120, flags, iova_pgsizes: 0x40201000n, cap_offset: 0, caps: [] });
    const full = sim.ioctl(container, 'VFIO_IOMMU_GET_INFO', { argsz: 120 });
    expect(full.cap_offset).to.equal(24);
    expect(full.caps).to.deep.equal([
      { id: 2, version: 1, flags: 0, pgsize_bitmap: 0x1000n, max_dirty_bitmap_size: 0x10000000n },
      { id: 3, version: 1, avail: 65535 },
      {
        id: 1,
        version: 1,
        iova_ranges: [
          { start: 0n, last: 0xfedfffffn },
          { start: 0xfef00000n, last: 0xffffffffffffn },
        ],
      },
    ]);
  });

  it('before 6.7 capabilities are not padded to 8 bytes (DMA_AVAIL is 12): 116 bytes; dma_entry_limit is a module parameter', () => {
    const { sim, container } = ready(host({ release: '6.6.0', params: { 'vfio_iommu_type1.dma_entry_limit': '4096' }, devices: [{ group: 7 }] }));
    expect(sim.ioctl(container, 'VFIO_IOMMU_GET_INFO', { argsz: 24 }).argsz).to.equal(116);
    expect(sim.ioctl(container, 'VFIO_IOMMU_GET_INFO', { argsz: 116 }).caps[1]).to.deep.equal({ id: 3, version: 1, avail: 4096 });
  });

  it('SET_IOMMU is EPERM for a group without MSI isolation unless vfio_iommu_type1.allow_unsafe_interrupts=Y', () => {
    const unsafe = (params?: Record<string, string>) => {
      const { sim } = kernelFor(host({ isolatedMsi: false, params, devices: [{ group: 7 }] }));
      const c = sim.open('/dev/vfio/vfio');
      sim.ioctl(sim.open('/dev/vfio/7'), 'VFIO_GROUP_SET_CONTAINER', { container_fd: c });
      try {
        sim.ioctl(c, 'VFIO_SET_IOMMU', 3);
        return 'ok';
      } catch (e) {
        return (e as KernelError).errno;
      }
    };
    expect([unsafe(), unsafe({ 'vfio_iommu_type1.allow_unsafe_interrupts': 'N' }), unsafe({ 'vfio_iommu_type1.allow_unsafe_interrupts': 'Y' })]).to.deep.equal(['EPERM', 'EPERM', 'ok']);
  });

  it('lives while a group holds it after its fd is closed; the last group out frees it and its domain', () => {
    const { sim, container, group } = ready();
    sim.close(container);
    expect(sim.liveObjects().map((o) => o.kind)).to.deep.equal(['fd:vfio-group', 'vfio-container', 'vfio-type1-domain', 'vfio-group']);
    sim.close(group);
    expect(sim.liveObjects()).to.deep.equal([]);
  });
});

describe('type1 groups (/dev/vfio/<group>)', () => {
  it('the node exists only with a VFIO device behind a coherent IOMMU; one open at a time', () => {
    expect(kernelFor(host({ devices: [{ group: 7, driver: 'nvgrace_gpu_vfio_pci' }] })).sim.open('/dev/vfio/7')).to.be.a('number');
    expect(errno(() => kernelFor(host({ devices: [{ group: 7, driver: 'ixgbe' }] })).sim.open('/dev/vfio/7'))).to.equal('ENOENT');
    const incoherent = host({ devices: [{ group: 7 }] });
    const sim = kernelFor({ ...incoherent, units: [{ ...incoherent.units[0]!, extra: { ...incoherent.units[0]!.extra, coherent: false } }] }).sim;
    expect(errno(() => sim.open('/dev/vfio/7'))).to.equal('ENOENT');
    const k = kernelFor(ONE);
    k.sim.open('/dev/vfio/7');
    expect(errno(() => k.sim.open('/dev/vfio/7'))).to.equal('EBUSY');
  });

  it('viable only when no device of the group is on a DMA-using host driver (VFIO PCI drivers, pci-stub, pcieport or none are fine)', () => {
    const status = (driver: string) => {
      const { sim } = kernelFor(host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:00:1c.0', group: 7, driver }] }));
      return sim.ioctl(sim.open('/dev/vfio/7'), 'VFIO_GROUP_GET_STATUS', undefined).flags;
    };
    expect(['pci-stub', 'pcieport', '', 'vfio-pci', 'mlx5_vfio_pci', 'e1000e', 'nvme'].map(status)).to.deep.equal([1, 1, 1, 1, 1, 0, 0]);
    const { sim, group } = ready();
    expect(sim.ioctl(group, 'VFIO_GROUP_GET_STATUS', undefined).flags).to.equal(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
  });

  it('SET_CONTAINER: EBADF, EBADFD for a non-container, EINVAL when set, EPERM when DMA ownership is claimed', () => {
    const { sim, group, container } = ready();
    expect(errno(() => sim.ioctl(group, 'VFIO_GROUP_SET_CONTAINER', { container_fd: 99 }))).to.equal('EBADF');
    expect(errno(() => sim.ioctl(group, 'VFIO_GROUP_SET_CONTAINER', { container_fd: container }))).to.equal('EINVAL');
    const k = kernelFor(host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:01:00.1', group: 7, driver: 'igb' }] }));
    const g = k.sim.open('/dev/vfio/7');
    expect(errno(() => k.sim.ioctl(g, 'VFIO_GROUP_SET_CONTAINER', { container_fd: g }))).to.equal('EBADFD');
    expect(errno(() => k.sim.ioctl(g, 'VFIO_GROUP_SET_CONTAINER', { container_fd: k.sim.open('/dev/vfio/vfio') }))).to.equal('EPERM');
  });

  it('GET_DEVICE_FD: EINVAL without container, ENODEV for a name not in the group; the device is then group-owned and pins the container', () => {
    const k = kernelFor(ONE);
    const g = k.sim.open('/dev/vfio/7');
    expect(errno(() => k.sim.ioctl(g, 'VFIO_GROUP_GET_DEVICE_FD', { name: '0000:01:00.0' }))).to.equal('EINVAL');
    const { sim, group } = ready();
    expect(errno(() => sim.ioctl(group, 'VFIO_GROUP_GET_DEVICE_FD', { name: '0000:02:00.0' }))).to.equal('ENODEV');
    const dev = sim.ioctl(group, 'VFIO_GROUP_GET_DEVICE_FD', { name: '0000:01:00.0' });
    expect(sim.devices.get('0000:01:00.0')!.owner).to.equal('group');
    expect(sim.ioctl(dev, 'VFIO_DEVICE_GET_INFO', undefined)).to.deep.equal({ flags: 3, num_regions: 9, num_irqs: 5 });
    expect(errno(() => sim.ioctl(group, 'VFIO_GROUP_UNSET_CONTAINER', undefined))).to.equal('EBUSY');
    sim.close(group);
    expect(sim.liveObjects().map((o) => o.kind)).to.include('vfio-group');
    sim.close(dev);
    expect(sim.devices.get('0000:01:00.0')!.owner).to.equal(null);
    expect(sim.liveObjects().filter((o) => !o.kind.startsWith('fd:'))).to.deep.equal([{ kind: 'vfio-container', id: 1, description: 'no IOMMU set' }]);
  });

  it('UNSET_CONTAINER: EINVAL without container; the last group out deprivileges the container (SET_IOMMU needs a group again)', () => {
    const { sim, group, container } = ready();
    sim.ioctl(group, 'VFIO_GROUP_UNSET_CONTAINER', undefined);
    expect(errno(() => sim.ioctl(group, 'VFIO_GROUP_UNSET_CONTAINER', undefined))).to.equal('EINVAL');
    expect(errno(() => sim.ioctl(container, 'VFIO_IOMMU_GET_INFO', { argsz: 24 }))).to.equal('EINVAL');
    expect(errno(() => sim.ioctl(container, 'VFIO_SET_IOMMU', 3))).to.equal('EINVAL');
  });
});
