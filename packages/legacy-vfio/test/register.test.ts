import 'reflect-metadata';
import {
  FAULT_PLAN,
  FaultPlan,
  KERNEL_SUBSYSTEM,
  KERNEL_UAPI,
  PCIDevice,
  PCITopology,
  QEMU_PROFILE,
  SimKernel,
  TRACE,
  TYPE_VFIO_IOMMU_LEGACY,
  Trace,
  VFIO_IOMMU_LEGACY,
  tracedKernel,
} from '@viommu/core';
import { expect } from 'chai';
import { container as root } from 'tsyringe';
import { register } from '../src/index.js';
import { host, profile } from './helpers.js';
import { MockIommuDriver } from './mock-driver.js';

describe('register(container)', () => {
  function scenario() {
    const child = root.createChildContainer();
    register(child);
    const trace = new Trace();
    const sim = new SimKernel(host({ devices: [{ bdf: '0000:01:00.0', group: 7 }] }), [new MockIommuDriver()], new FaultPlan());
    for (const s of child.resolveAll(KERNEL_SUBSYSTEM)) sim.addSubsystem(s);
    child.register(QEMU_PROFILE, { useValue: profile('upstream') });
    child.register(TRACE, { useValue: trace });
    child.register(FAULT_PLAN, { useValue: sim.faults });
    child.register(KERNEL_UAPI, { useValue: tracedKernel(sim, trace) });
    return { child, sim };
  }

  it('gives each scenario its own type1 subsystem and legacy backend, wired to the scenario kernel', () => {
    const a = scenario();
    const b = scenario();
    const backendA = a.child.resolve(VFIO_IOMMU_LEGACY);
    expect(backendA.typeName).to.equal(TYPE_VFIO_IOMMU_LEGACY);
    expect(a.child.resolve(VFIO_IOMMU_LEGACY)).to.equal(backendA);
    expect(b.child.resolve(VFIO_IOMMU_LEGACY)).to.not.equal(backendA);
    expect(a.child.resolveAll(KERNEL_SUBSYSTEM)[0]).to.not.equal(b.child.resolveAll(KERNEL_SUBSYSTEM)[0]);
    expect(root.isRegistered(VFIO_IOMMU_LEGACY)).to.equal(false);
  });

  it('the resolved backend attaches through the scenario kernel', () => {
    const { child, sim } = scenario();
    const backend = child.resolve(VFIO_IOMMU_LEGACY);
    const memory = { name: 'memory', iommu: null };
    backend.attachDevice({ name: '0000:01:00.0', sysfsdev: '/sys/bus/pci/devices/0000:01:00.0', pdev: new PCIDevice('vfio-pci', undefined, new PCITopology().addRootBus('pcie.0', true), 0x10, 0), addressSpace: memory });
    expect(sim.liveObjects().map((o) => o.kind)).to.include.members(['vfio-container', 'vfio-group', 'vfio-device']);
  });
});
