import 'reflect-metadata';
import {
  FaultPlan,
  HOST_IOMMU_DEVICE_CAP_AW_BITS,
  IOMMU_DRIVER,
  PCIDevice,
  PCITopology,
  SimKernel,
  Trace,
  createAddressSpaceMemory,
  tracedKernel,
  type HostModel,
} from '@viommu/core';
import { register as registerVtd } from '@viommu/intel-vtd';
import { expect } from 'chai';
import { container } from 'tsyringe';
import { VfioType1Subsystem } from '../src/kernel/subsystem.js';
import { VfioIommuLegacy } from '../src/vmm/backend.js';
import { profile } from './helpers.js';

/**
 * Legacy aw_bits on real Intel hosts, with the `intel-iommu` driver model of
 * `@viommu/intel-vtd` (reached through its `register`). Registers are the hosts' boot-log
 * values (shared/data/real-hosts.json); the expected widths follow the kernel's rules:
 * `paging_domain_alloc` takes the widest SAGAW width ≤ 57 capped by MGAW; a first-stage
 * domain (scalable mode with FLTS) loses the top bit (`aperture_end = __DOMAIN_MAX_ADDR(gaw - 1)`);
 * `intel_iommu_get_resv_regions` reserves the IOAPIC/MSI window 0xfee00000-0xfeefffff.
 */
const HOSTS = [
  { id: 'intel-001 ThinkPad W520', cap: 0xc0000020e60262n, ecap: 0xf0101an, last: 0x7fffffffffn, aw: 39, pgsizes: 0x1000n, why: 'MGAW 39, SAGAW 39-bit, no superpages' },
  { id: 'intel-011 Core i9-14900HX', cap: 0x1c0000c40660462n, ecap: 0x29a00f0505en, last: 0x7fffffffffn, aw: 39, pgsizes: 0x40201000n, why: 'SAGAW 48-bit only, MGAW 39 caps it' },
  { id: 'intel-002 Xeon Gold 6346', cap: 0x8ed008c40780466n, ecap: 0x60000f050dfn, last: 0xffffffffffffn, aw: 48, pgsizes: 0x40201000n, why: 'SAGAW 48-bit, MGAW 57, legacy mode' },
  { id: 'intel-019 M50FCP (Sapphire Rapids)', cap: 0x19ed008c40780c66n, ecap: 0x3ee9e86f050dfn, last: 0xffffffffffffffn, aw: 56, pgsizes: 0x40201000n, why: 'SAGAW 57-bit, scalable mode first stage: 57 - 1' },
];

function vtdHost(cap: bigint, ecap: bigint): HostModel {
  return {
    id: 'vtd',
    arch: 'x86_64',
    kernel: { release: '6.12.38+deb13-amd64', cmdline: '', iommufd: true, vfioCdev: true, vfioType1: true },
    units: [{ name: 'dmar0', vendor: 'intel', registers: { cap, ecap } }],
    devices: [{ bdf: '0000:01:00.0', unit: 'dmar0', group: 7, driver: 'vfio-pci' }],
  };
}

describe('legacy aw_bits on real Intel hosts (intel-vtd driver model)', () => {
  const di = container.createChildContainer();
  registerVtd(di);
  const drivers = di.resolveAll(IOMMU_DRIVER);

  for (const h of HOSTS) {
    it(`${h.id} (${h.why}): aw_bits ${h.aw}, ranges split by the MSI window`, () => {
      const sim = new SimKernel(vtdHost(h.cap, h.ecap), drivers, new FaultPlan());
      sim.addSubsystem(new VfioType1Subsystem());
      const trace = new Trace();
      const backend = new VfioIommuLegacy(tracedKernel(sim, trace), profile('upstream'), trace);
      const pdev = new PCIDevice('vfio-pci', undefined, new PCITopology().addRootBus('pcie.0', true), 0x10, 0);
      const hiod = backend.attachDevice({ name: '0000:01:00.0', sysfsdev: '/sys/bus/pci/devices/0000:01:00.0', pdev, addressSpace: createAddressSpaceMemory() }).hiod!;
      expect(hiod.getIovaRanges()).to.deep.equal([
        { start: 0n, last: 0xfedfffffn },
        { start: 0xfef00000n, last: h.last },
      ]);
      expect(hiod.getCap!(HOST_IOMMU_DEVICE_CAP_AW_BITS)).to.equal(h.aw);
      expect(hiod.getPageSizeMask()).to.equal(h.pgsizes);
    });
  }
});
