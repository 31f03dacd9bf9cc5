import {
  IOMMUFD_BACKEND_FACTORY,
  PROFILE_10_0,
  PROFILE_7_2,
  QemuError,
  U64_MAX,
  VFIO_IOMMU_IOMMUFD,
  VFIO_IOMMU_LEGACY,
  vfioPciRealize,
  vfioPciUnrealize,
  type HostModel,
  type QemuProfile,
} from '@viommu/core';
import { register as registerIommufd } from '@viommu/iommufd';
import { register as registerLegacyVfio } from '@viommu/legacy-vfio';
import { register as registerIntelVtd } from '@viommu/intel-vtd';
import { thrown } from '@viommu/test-support';
import { wiredScenario } from '@viommu/test-vmm';
import { expect } from 'chai';
import 'reflect-metadata';
import { VIRTIO_IOMMU_RESV_MEM_T_MSI, VIRTIO_IOMMU_RESV_MEM_T_RESERVED, VirtioIommuPlugin, type VirtIOIOMMU } from '../src/index.js';
import { ctx, machine } from './helpers.js';

/** Intel Xeon W-1290P (shared/data/real-hosts.json intel-099): `cap d2008c40660462`, `ecap f050da`, MGAW 39. */
const HOST_W1290P: HostModel = {
  id: 'intel-099',
  arch: 'x86_64',
  kernel: { release: '6.12.38', cmdline: 'intel_iommu=on', iommufd: true, vfioCdev: true, vfioType1: true },
  units: [{ name: 'dmar0', vendor: 'intel', registers: { cap: 0xd2008c40660462n, ecap: 0xf050dan } }],
  devices: [{ bdf: '0000:01:00.0', unit: 'dmar0', group: 1, driver: 'vfio-pci' }],
};

/**
 * type1's `iova_pgsizes` on that host: CAP.SLLPS (bits 37:34) = 0x3, so the VT-d domain maps
 * 4K, 2M and 1G pages (`domain_super_pgsize_bitmap`, drivers/iommu/intel/iommu.c).
 */
const PGSIZES_SLLPS_2M_1G = 0x40201000n;

/**
 * `-machine q35 -device virtio-iommu-pci,<options> -device vfio-pci,host=0000:01:00.0` on the W-1290P
 * over the iommufd (`-object iommufd,id=fd0`) or the legacy backend, wired as the runner wires a scenario.
 */
function scenario(via: 'iommufd' | 'legacy', profile: QemuProfile, options = '') {
  const { c, sim, kernel, trace } = wiredScenario(HOST_W1290P, profile, [registerIommufd, registerLegacyVfio, registerIntelVtd]);
  const m = machine('q35');
  const viommu = new VirtioIommuPlugin().realize({ ...ctx(profile.id, m, options), trace }) as VirtIOIOMMU;
  const pdev = m.pci.plug({ typeName: 'vfio-pci', bus: m.rootBus });
  const backend =
    via === 'iommufd' ? { backend: c.resolve(VFIO_IOMMU_IOMMUFD), iommufd: c.resolve(IOMMUFD_BACKEND_FACTORY).create('fd0') } : { backend: c.resolve(VFIO_IOMMU_LEGACY) };
  const realize = () => vfioPciRealize({ host: '0000:01:00.0', pdev, ...backend, kernel, profile, addressSpaceMemory: m.addressSpaceMemory, trace });
  return { sim, trace, m, viommu, pdev, realize };
}

describe('virtio-iommu with the iommufd backend on a real VT-d host model', () => {
  it('the 39-bit host\'s usable ranges become reserved regions; the page mask becomes the IOAS alignment', () => {
    const { sim, m, viommu, pdev, realize } = scenario('iommufd', PROFILE_10_0);
    const dev = realize();
    expect(viommu.registeredDevices()).to.equal(1);
    const sdev = viommu.endpoint(m.rootBus, pdev.devfn)!;
    expect(sdev.resvRegions).to.deep.include({ start: 0xfee00000n, end: 0xfeefffffn, type: VIRTIO_IOMMU_RESV_MEM_T_MSI });
    expect(sdev.resvRegions.at(-1)).to.deep.equal({ start: 0x8000000000n, end: U64_MAX, type: VIRTIO_IOMMU_RESV_MEM_T_RESERVED });
    expect(viommu.registers().page_size_mask).to.equal(0x1000n);
    vfioPciUnrealize(dev, PROFILE_10_0);
    expect(viommu.registeredDevices()).to.equal(0);
    expect(sim.liveObjects()).to.deep.equal([]);
  });

  it('granule=64k is refused on a 4 KiB host, and nothing stays attached', () => {
    const { sim, realize } = scenario('iommufd', PROFILE_10_0, 'granule=64k');
    expect(thrown(QemuError, realize).message).to.equal(
      'vfio 0000:01:00.0: Failed to set vIOMMU: 0000:01:00.0: virtio-iommu reports a page size mask 0x1000 incompatible with currently supported mask 0xffffffffffff0000',
    );
    expect(sim.liveObjects()).to.deep.equal([]);
  });
});

describe('virtio-iommu with the legacy type1 backend on a real VT-d host model', () => {
  it('7.2, boot-bypass=off: the container\'s pgsizes reach the IOMMU region and shrink the mask', () => {
    const { sim, trace, viommu, realize } = scenario('legacy', PROFILE_7_2, 'boot-bypass=off');
    const dev = realize();
    const call = trace.entries.find((e) => e.name === 'virtio_iommu_set_page_size_mask');
    expect(call?.args).to.deep.include({ old_mask: 0xfffffffffffff000n, new_mask: PGSIZES_SLLPS_2M_1G });
    expect(viommu.registers().page_size_mask).to.equal(PGSIZES_SLLPS_2M_1G);
    expect(viommu.registeredDevices()).to.equal(0);
    vfioPciUnrealize(dev, PROFILE_7_2);
    expect(sim.liveObjects()).to.deep.equal([]);
  });

  it('10.0: the legacy hiod\'s ranges and pgsizes go through set_iommu_device', () => {
    const { sim, m, viommu, pdev, realize } = scenario('legacy', PROFILE_10_0);
    const dev = realize();
    expect(viommu.registeredDevices()).to.equal(1);
    expect(viommu.endpoint(m.rootBus, pdev.devfn)!.resvRegions.at(-1)).to.deep.equal({
      start: 0x8000000000n,
      end: U64_MAX,
      type: VIRTIO_IOMMU_RESV_MEM_T_RESERVED,
    });
    expect(viommu.registers().page_size_mask).to.equal(PGSIZES_SLLPS_2M_1G);
    vfioPciUnrealize(dev, PROFILE_10_0);
    expect(sim.liveObjects()).to.deep.equal([]);
  });
});
