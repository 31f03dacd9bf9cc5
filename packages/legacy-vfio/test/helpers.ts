import {
  FaultPlan,
  PCIDevice,
  PCITopology,
  SimKernel,
  Trace,
  createAddressSpaceMemory,
  findProfile,
  tracedKernel,
  type AddressSpace,
  type FaultSpec,
  type HostModel,
  type HostPciDevice,
  type LiveObject,
  type QemuProfile,
  type VfioAttachRequest,
} from '@viommu/core';
import { VfioType1Subsystem } from '../src/kernel/subsystem.js';
import { VfioIommuLegacy } from '../src/vmm/backend.js';
import { MockIommuDriver } from './mock-driver.js';

/** The x86 MSI window every VT-d/AMD-Vi group reserves (`IOAPIC_RANGE_START`..`IOAPIC_RANGE_END`). */
export const X86_MSI = '0xfee00000-0xfeefffff';

/** A host with one mock IOMMU unit and the given devices (defaults: a 6.12 kernel, type1 present). */
export function host(opts: {
  apertureBits?: number;
  resv?: string;
  pgsize?: bigint;
  devices: Partial<HostPciDevice>[];
  release?: string;
  vfioType1?: boolean;
  params?: Record<string, string>;
  isolatedMsi?: boolean;
}): HostModel {
  return {
    id: 'test-host',
    arch: 'x86_64',
    kernel: {
      release: opts.release ?? '6.12.38+deb13-amd64',
      cmdline: '',
      iommufd: true,
      vfioCdev: true,
      vfioType1: opts.vfioType1 ?? true,
      params: opts.params,
    },
    units: [
      {
        name: 'mock0',
        vendor: 'mock',
        registers: opts.pgsize === undefined ? {} : { pgsize: opts.pgsize },
        extra: { apertureBits: opts.apertureBits ?? 48, resv: opts.resv ?? X86_MSI, isolatedMsi: opts.isolatedMsi ?? true },
      },
    ],
    devices: opts.devices.map((d, i) => ({
      bdf: d.bdf ?? `0000:0${i + 1}:00.0`,
      unit: d.unit ?? 'mock0',
      group: d.group ?? i + 1,
      driver: d.driver ?? 'vfio-pci',
    })),
  };
}

/** A simulated kernel with the type1 subsystem, and the same kernel as the VMM reaches it. */
export function kernelFor(h: HostModel, faults: FaultSpec[] = []) {
  const sim = new SimKernel(h, [new MockIommuDriver()], new FaultPlan(faults));
  sim.addSubsystem(new VfioType1Subsystem());
  const trace = new Trace();
  return { sim, trace, uapi: tracedKernel(sim, trace) };
}

export function profile(id: string): QemuProfile {
  const p = findProfile(id);
  if (!p) throw new Error(`no profile ${id}`);
  return p;
}

/** A legacy backend for one machine on a kernel. */
export function machine(h: HostModel, profileId: string, faults: FaultSpec[] = []) {
  const k = kernelFor(h, faults);
  const backend = new VfioIommuLegacy(k.uapi, profile(profileId), k.trace);
  const memory = createAddressSpaceMemory();
  const root = new PCITopology().addRootBus('pcie.0', true);
  const request = (name: string, addressSpace: AddressSpace = memory, devfn = 0x10): VfioAttachRequest => ({
    name,
    sysfsdev: `/sys/bus/pci/devices/${name}`,
    pdev: new PCIDevice('vfio-pci', undefined, root, devfn, 0),
    addressSpace,
  });
  return { ...k, backend, memory, request };
}

/** Live objects of the kernel and of the backend, as comparable strings. */
export function live(sim: SimKernel, backend?: VfioIommuLegacy): string[] {
  const fmt = (o: LiveObject) => `${o.kind}#${o.id}`;
  return [...sim.liveObjects(), ...(backend?.liveObjects() ?? [])].map(fmt);
}

/** The kernel calls of a trace with their arguments, compactly: `open /dev/vfio/7`, `VFIO_CHECK_EXTENSION 3`. */
export function calls(trace: Trace): string[] {
  return trace.entries
    .filter((e) => e.kind === 'call')
    .map((e) => {
      const a = e.args ?? {};
      const detail = e.name === 'open' || e.name === 'readlink' ? a.path : e.name === 'close' ? '' : 'arg' in a ? a.arg : '';
      return `${e.name}${detail === '' || detail === undefined ? '' : ` ${String(detail)}`}${e.errno ? ` -> ${e.errno}` : ''}`;
    });
}
