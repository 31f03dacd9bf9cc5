import {
  PCITopology,
  PROFILE_UPSTREAM,
  QemuError,
  SimKernel,
  Trace,
  createAddressSpaceMemory,
  pciSetupIommu,
  tracedKernel,
  vfioPciRealize,
  vfioPciUnrealize,
  type AddressSpace,
  type FaultSpec,
  type HostIOMMUDevice,
  type HostModel,
  type IOMMUFDBackend,
  type PCIBus,
  type PCIDevice,
  type QemuProfile,
  type VfioPciDevice,
} from '@viommu/core';
import { IOMMUFDBackendObjectFactory } from '../src/vmm/iommufd-backend.js';
import { VfioIommuIommufd } from '../src/vmm/vfio-iommufd.js';
import { mockHost, simKernel } from './helpers.js';

/** A tiny vIOMMU for attach tests: one address space for every device (or one per devfn). */
export interface FakeViommu {
  flags?: bigint;
  quirks?: bigint;
  perDeviceAs?: boolean;
  refuse?: string;
  notifierError?: string;
}

/** One scenario: a simulated kernel, the traced uAPI, the iommufd backend and a PCI bus. */
export class Scenario {
  readonly trace = new Trace();
  readonly kernel: SimKernel;
  readonly backend: VfioIommuIommufd;
  readonly iommufd: IOMMUFDBackend;
  readonly pci = new PCITopology();
  readonly root: PCIBus;
  readonly memory = createAddressSpaceMemory();
  readonly hiods = new Map<number, HostIOMMUDevice>();
  readonly quirkCalls: { type: number; size: number }[] = [];

  constructor(
    readonly profile: QemuProfile = PROFILE_UPSTREAM,
    host: HostModel = mockHost(),
    faults: FaultSpec[] = [],
    viommu: FakeViommu | null = {},
  ) {
    this.kernel = simKernel(host, faults);
    const uapi = tracedKernel(this.kernel, this.trace);
    this.backend = new VfioIommuIommufd(uapi, profile, this.trace);
    this.iommufd = new IOMMUFDBackendObjectFactory(uapi, this.trace).create('iommufd0');
    this.root = this.pci.addRootBus('pcie.0', true);
    if (viommu) this.#installViommu(viommu);
  }

  #installViommu(v: FakeViommu): void {
    const region = v.notifierError
      ? { name: 'fake-iommu-region', notifyFlagChanged: () => new QemuError(v.notifierError!, 'vfio-attach') }
      : null;
    // One AddressSpace object for every device (as arm-smmuv3,accel=on), or one per devfn.
    const shared: AddressSpace = { name: 'viommu-as', iommu: region };
    pciSetupIommu(this.root, {
      getAddressSpace: (_bus, devfn) => (v.perDeviceAs ? { name: `viommu-as-${devfn}`, iommu: region } : shared),
      setIommuDevice: (_bus, devfn, hiod) => {
        if (v.refuse) throw new QemuError(v.refuse, 'set-iommu-device');
        this.hiods.set(devfn, hiod);
      },
      unsetIommuDevice: (_bus, devfn) => this.hiods.delete(devfn),
      getViommuFlags: () => v.flags ?? 0n,
      getHostIommuQuirks: (type, _caps, size) => {
        this.quirkCalls.push({ type, size });
        return v.quirks ?? 0n;
      },
    });
  }

  plug(slot: number): PCIDevice {
    return this.pci.plug({ typeName: 'vfio-pci', bus: this.root, devfn: slot << 3 });
  }

  /** `-device vfio-pci,host=<bdf>,iommufd=iommufd0` at `slot`. */
  realize(bdf: string, slot: number): VfioPciDevice {
    return vfioPciRealize({
      host: bdf,
      pdev: this.plug(slot),
      backend: this.backend,
      iommufd: this.iommufd,
      kernel: tracedKernel(this.kernel, this.trace),
      profile: this.profile,
      addressSpaceMemory: this.memory,
      trace: this.trace,
    });
  }

  unrealize(dev: VfioPciDevice): void {
    vfioPciUnrealize(dev, this.profile);
    this.pci.unplug(dev.pdev);
  }

  /** The message of a realize that must fail. */
  realizeError(bdf: string, slot: number): string {
    try {
      this.realize(bdf, slot);
    } catch (e) {
      if (e instanceof QemuError) return e.message;
      throw e;
    }
    throw new Error(`realize of ${bdf} succeeded`);
  }

  /** Kernel calls made since trace entry `from`. */
  callsSince(from = 0): string[] {
    return this.trace.entries.slice(from).filter((e) => e.kind === 'call').map((e) => e.name);
  }

  live(): string[] {
    return [...this.kernel.liveObjects(), ...this.backend.liveObjects()].map((o) => `${o.kind}:${o.id}`);
  }
}
