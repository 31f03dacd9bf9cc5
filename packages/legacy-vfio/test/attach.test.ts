import {
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  QemuError,
  TYPE_HOST_IOMMU_DEVICE,
  TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO,
  vfioPciRealize,
  type AddressSpace,
} from '@viommu/core';
import { thrown } from '@viommu/test-support';
import { expect } from 'chai';
import { calls, host, live, machine, profile } from './helpers.js';

/**
 * The legacy attach sequence, branch by branch. Expected call orders and messages are read
 * from QEMU: master `hw/vfio/container-legacy.c` (`vfio_legacy_attach_device`,
 * `vfio_group_get`, `vfio_container_connect`, `vfio_create_container`, `vfio_legacy_setup`),
 * 7.2 `hw/vfio/common.c` (`vfio_get_group`, `vfio_connect_container`) + `hw/vfio/pci.c`.
 */

const ONE = host({ devices: [{ bdf: '0000:01:00.0', group: 7 }] });

const NEW_CONTAINER_7_2 = [
  'readlink /sys/bus/pci/devices/0000:01:00.0/iommu_group',
  'open /dev/vfio/7',
  'VFIO_GROUP_GET_STATUS',
  'open /dev/vfio/vfio',
  'VFIO_GET_API_VERSION',
  'VFIO_CHECK_EXTENSION 3',
  'VFIO_GROUP_SET_CONTAINER',
  'VFIO_SET_IOMMU 3',
  'VFIO_IOMMU_GET_INFO',
  'VFIO_IOMMU_GET_INFO',
  'VFIO_GROUP_GET_DEVICE_FD',
  'VFIO_DEVICE_GET_INFO',
];
const NEW_CONTAINER_10_2 = [...NEW_CONTAINER_7_2.slice(0, 10), 'VFIO_CHECK_EXTENSION 9', ...NEW_CONTAINER_7_2.slice(10)];

describe('legacy attach: new container', () => {
  for (const [id, expected] of [
    ['7.2', NEW_CONTAINER_7_2],
    ['10.0', NEW_CONTAINER_7_2],
    ['10.2', NEW_CONTAINER_10_2],
    ['upstream', NEW_CONTAINER_10_2],
  ] as const) {
    it(`${id}: group, container, type1v2, GET_INFO retried for the caps, device`, () => {
      const m = machine(ONE, id);
      m.backend.attachDevice(m.request('0000:01:00.0'));
      expect(calls(m.trace)).to.deep.equal(expected);
      const infos = m.trace.entries.filter((e) => e.name === 'VFIO_IOMMU_GET_INFO');
      expect(infos.map((e) => e.args?.argsz)).to.deep.equal([24, 120]);
    });
  }

  it('the hiod is realized before the group in 10.0 and after the device fd from 10.2; 7.2 has none', () => {
    const order = (id: string) => {
      const m = machine(ONE, id);
      const dev = m.backend.attachDevice(m.request('0000:01:00.0'));
      const names = m.trace.entries.map((e) => e.name);
      return { hiod: dev.hiod, at: names.indexOf('hiod_legacy_vfio_realize'), group: names.indexOf('open'), devfd: names.indexOf('VFIO_GROUP_GET_DEVICE_FD') };
    };
    expect(order('7.2').hiod).to.equal(null);
    const ten = order('10.0');
    expect(ten.at).to.be.greaterThan(-1).and.lessThan(ten.group);
    const up = order('upstream');
    expect(up.at).to.be.greaterThan(up.devfd);
    expect(up.hiod?.typeName).to.equal(TYPE_HOST_IOMMU_DEVICE_LEGACY_VFIO);
    expect(up.hiod?.isA(TYPE_HOST_IOMMU_DEVICE)).to.equal(true);
    expect(up.hiod?.name).to.equal('0000:01:00.0');
  });

  it('get_cap: AW_BITS from the container, IOMMU_TYPE (0) and unknown ids refused with QEMU text and EINVAL', () => {
    const m = machine(ONE, '10.0');
    const hiod = m.backend.attachDevice(m.request('0000:01:00.0')).hiod!;
    expect(hiod.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS)).to.equal(48);
    const e0 = thrown(QemuError, () => hiod.getCap!(0));
    expect(e0.message).to.equal('0000:01:00.0: unsupported capability 0');
    expect(e0.errno).to.equal('EINVAL');
    expect(thrown(QemuError, () => hiod.getCap!(0x2a)).message).to.equal('0000:01:00.0: unsupported capability 2a');
    expect(hiod.caps.type).to.equal(0);
  });

  it('is deterministic: the same attach gives the same trace, byte for byte', () => {
    const run = () => {
      const m = machine(ONE, 'upstream');
      m.backend.detachDevice(m.backend.attachDevice(m.request('0000:01:00.0')));
      return [m.trace.format(), JSON.stringify(m.trace.toJSON())];
    };
    expect(run()).to.deep.equal(run());
  });

  it('/dev/vfio/vfio without the type1 driver: "No available IOMMU models", container closed', () => {
    const m = machine(host({ devices: [{ group: 7 }], vfioType1: false }), 'upstream');
    const e = thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.0')));
    expect(e.message).to.equal('failed to setup container for group 7: No available IOMMU models');
    expect(calls(m.trace).slice(5)).to.deep.equal(['VFIO_CHECK_EXTENSION 3', 'VFIO_CHECK_EXTENSION 1', 'VFIO_CHECK_EXTENSION 7', 'VFIO_CHECK_EXTENSION 2', 'close', 'close']);
    expect(live(m.sim, m.backend)).to.deep.equal([]);
  });
});

describe('legacy attach: sharing', () => {
  const TWO_GROUPS = host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:02:00.0', group: 8 }] });
  const ONE_GROUP = host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:01:00.1', group: 7 }] });

  it('a second group in the same address space joins the container with one SET_CONTAINER', () => {
    const m = machine(TWO_GROUPS, 'upstream');
    m.backend.attachDevice(m.request('0000:01:00.0'));
    const n = calls(m.trace).length;
    m.backend.attachDevice(m.request('0000:02:00.0', m.memory, 0x18));
    expect(calls(m.trace).slice(n)).to.deep.equal([
      'readlink /sys/bus/pci/devices/0000:02:00.0/iommu_group',
      'open /dev/vfio/8',
      'VFIO_GROUP_GET_STATUS',
      'VFIO_GROUP_SET_CONTAINER',
      'VFIO_GROUP_GET_DEVICE_FD',
      'VFIO_DEVICE_GET_INFO',
    ]);
    expect(m.sim.liveObjects().filter((o) => o.kind === 'vfio-container')).to.have.length(1);
    // one type1 domain serves both groups (same driver, attach accepted)
    expect(m.sim.liveObjects().filter((o) => o.kind === 'vfio-type1-domain')).to.have.length(1);
  });

  it('another address space gets its own container; a group cannot span two', () => {
    const m = machine(ONE_GROUP, 'upstream');
    const other: AddressSpace = { name: 'vtd-00.18', iommu: null };
    m.backend.attachDevice(m.request('0000:01:00.0'));
    const e = thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.1', other)));
    expect(e.message).to.equal('group 7 used in multiple address spaces');
    const m2 = machine(TWO_GROUPS, 'upstream');
    m2.backend.attachDevice(m2.request('0000:01:00.0'));
    m2.backend.attachDevice(m2.request('0000:02:00.0', other));
    expect(m2.sim.liveObjects().filter((o) => o.kind === 'vfio-container')).to.have.length(2);
  });

  it('a second function of an open group only gets its device fd; the same device twice is refused', () => {
    const m = machine(ONE_GROUP, '10.2');
    m.backend.attachDevice(m.request('0000:01:00.0'));
    const n = calls(m.trace).length;
    m.backend.attachDevice(m.request('0000:01:00.1', m.memory, 0x11));
    expect(calls(m.trace).slice(n)).to.deep.equal(['readlink /sys/bus/pci/devices/0000:01:00.1/iommu_group', 'VFIO_GROUP_GET_DEVICE_FD', 'VFIO_DEVICE_GET_INFO']);
    const k = calls(m.trace).length;
    const e = thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.0')));
    expect(e.message).to.equal('device is already attached');
    expect(calls(m.trace).slice(k)).to.deep.equal(['readlink /sys/bus/pci/devices/0000:01:00.0/iommu_group']);
  });

  it('detach in QEMU order: device fd, UNSET_CONTAINER, container fd (last group), group fd', () => {
    const m = machine(TWO_GROUPS, 'upstream');
    const a = m.backend.attachDevice(m.request('0000:01:00.0'));
    const b = m.backend.attachDevice(m.request('0000:02:00.0', m.memory, 0x18));
    const n = calls(m.trace).length;
    m.backend.detachDevice(a);
    expect(calls(m.trace).slice(n)).to.deep.equal(['close', 'VFIO_GROUP_UNSET_CONTAINER', 'close']);
    m.backend.detachDevice(b);
    expect(calls(m.trace).slice(n + 3)).to.deep.equal(['close', 'VFIO_GROUP_UNSET_CONTAINER', 'close', 'close']);
    expect(live(m.sim, m.backend)).to.deep.equal([]);
  });
});

describe('legacy attach: refusals', () => {
  it('a group with a device on a DMA-using host driver is not viable (message + hint), group closed', () => {
    const m = machine(host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:01:00.1', group: 7, driver: 'e1000e' }] }), 'upstream');
    const e = thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.0')));
    expect(e.message).to.equal('group 7 is not viable');
    expect(e.hint).to.equal('Please ensure all devices within the iommu_group are bound to their vfio bus driver.');
    expect(calls(m.trace)).to.deep.equal(['readlink /sys/bus/pci/devices/0000:01:00.0/iommu_group', 'open /dev/vfio/7', 'VFIO_GROUP_GET_STATUS', 'close']);
    expect(live(m.sim, m.backend)).to.deep.equal([]);
  });

  it('the group node is missing when no device of it is bound to vfio-pci: 7.2 and 10.x wording', () => {
    const h = host({ devices: [{ bdf: '0000:01:00.0', group: 7, driver: 'ixgbe' }] });
    const m72 = machine(h, '7.2');
    expect(thrown(QemuError, () => m72.backend.attachDevice(m72.request('0000:01:00.0'))).message).to.equal('failed to open /dev/vfio/7: No such file or directory');
    const m10 = machine(h, '10.0');
    expect(thrown(QemuError, () => m10.backend.attachDevice(m10.request('0000:01:00.0'))).message).to.equal("Could not open '/dev/vfio/7': No such file or directory");
  });

  it('through vfio_pci_realize the refusal carries the "vfio <name>: " prefix', () => {
    const m = machine(host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:01:00.1', group: 7, driver: 'nvme' }] }), '7.2');
    const req = m.request('0000:01:00.0');
    const e = thrown(QemuError, () =>
      vfioPciRealize({ host: '0000:01:00.0', pdev: req.pdev, backend: m.backend, kernel: m.uapi, profile: profile('7.2'), addressSpaceMemory: m.memory, trace: m.trace }),
    );
    expect(e.message).to.equal('vfio 0000:01:00.0: group 7 is not viable');
  });

  it("7.2 behind an emulated vIOMMU refusing MAP notifiers: QEMU's listener error, container and group closed", () => {
    const m = machine(ONE, '7.2');
    const masks: bigint[] = [];
    const smmu: AddressSpace = {
      name: 'smmuv3-as',
      iommu: {
        name: 'smmuv3-iommu-memory-region-16-0',
        setPageSizeMask: (mask) => (masks.push(mask), null),
        notifyFlagChanged: () => new QemuError('device 00.02.0 requires iommu MAP notifier which is not currently supported', 'vfio-attach'),
      },
    };
    const e = thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.0', smmu)));
    expect(e.message).to.equal(
      'failed to setup container for group 7: memory listener initialization failed: Region smmuv3-iommu-memory-region-16-0: device 00.02.0 requires iommu MAP notifier which is not currently supported',
    );
    expect(masks).to.deep.equal([0x40201000n]);
    expect(calls(m.trace).slice(-4)).to.deep.equal(['VFIO_IOMMU_GET_INFO', 'VFIO_IOMMU_GET_INFO', 'close', 'close']);
    expect(live(m.sim, m.backend)).to.deep.equal([]);
  });

  it('no interrupt remapping: "Failed to set iommu for container: Operation not permitted"', () => {
    const m = machine(host({ isolatedMsi: false, devices: [{ bdf: '0000:01:00.0', group: 7 }] }), '7.2');
    expect(thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.0'))).message).to.equal(
      'failed to setup container for group 7: Failed to set iommu for container: Operation not permitted',
    );
    expect(live(m.sim, m.backend)).to.deep.equal([]);
  });

  it('a group the container refuses (SET_CONTAINER fails) gets a container of its own, as QEMU tries', () => {
    const h = host({ devices: [{ bdf: '0000:01:00.0', group: 7 }, { bdf: '0000:02:00.0', group: 8, unit: 'mock1' }] });
    const two: typeof h = { ...h, units: [h.units[0]!, { ...h.units[0]!, name: 'mock1', extra: { ...h.units[0]!.extra, isolatedMsi: false } }] };
    const m = machine(two, 'upstream');
    m.backend.attachDevice(m.request('0000:01:00.0'));
    const n = calls(m.trace).length;
    const e = thrown(QemuError, () => m.backend.attachDevice(m.request('0000:02:00.0', m.memory, 0x18)));
    expect(e.message).to.equal('failed to setup container for group 8: Failed to set iommu for container: Operation not permitted');
    expect(calls(m.trace).slice(n)).to.deep.equal([
      'readlink /sys/bus/pci/devices/0000:02:00.0/iommu_group',
      'open /dev/vfio/8',
      'VFIO_GROUP_GET_STATUS',
      'VFIO_GROUP_SET_CONTAINER -> EPERM',
      'open /dev/vfio/vfio',
      'VFIO_GET_API_VERSION',
      'VFIO_CHECK_EXTENSION 3',
      'VFIO_GROUP_SET_CONTAINER',
      'VFIO_SET_IOMMU 3 -> EPERM',
      'close',
      'close',
    ]);
  });

  it('a device opened through its cdev (iommufd) makes its group unopenable: EBUSY', () => {
    const m = machine(ONE, 'upstream');
    m.sim.devices.get('0000:01:00.0')!.owner = 'cdev';
    expect(thrown(QemuError, () => m.backend.attachDevice(m.request('0000:01:00.0'))).message).to.equal("Could not open '/dev/vfio/7': Device or resource busy");
  });
});
