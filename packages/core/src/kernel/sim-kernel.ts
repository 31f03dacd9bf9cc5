import { KernelError } from '../errors.js';
import type { IoctlMap, IoctlName, KernelUapi } from '../uapi/kernel.js';
import type { IommuDriver, IommuInstance } from './driver.js';
import { kernelFeatures, type KernelFeatures } from './features.js';
import type { HostModel, HostPciDevice } from './host-model.js';
import { FaultPlan, type LiveObject, type LiveObjectSource } from './sim.js';

/** An open file of the simulated kernel (a character device's `struct file`). */
export interface SimFile {
  /** `fd` kind for live-object listings (`iommufd`, `vfio-container`, `vfio-group`, `vfio-device`). */
  readonly kind: string;
  readonly description: string;
  /** Handles an ioctl; `undefined` result type for void ioctls. Unknown request → throw ENOTTY. */
  ioctl(request: IoctlName, arg: unknown, fd: number): unknown;
  /** Releases what the file holds (the kernel's `release`). */
  release(): void;
}

/**
 * A part of the simulated kernel that owns device nodes (`/dev/iommu`, `/dev/vfio/vfio`, …).
 * `@viommu/iommufd` and `@viommu/legacy-vfio` each contribute one; the runner installs
 * every subsystem into one `SimKernel` per scenario.
 */
export interface KernelSubsystem extends LiveObjectSource {
  readonly name: string;
  /** Opens `path` if this subsystem owns it; `undefined` when the path is not its own. */
  open(path: string, kernel: SimKernel): SimFile | undefined;
}

/** Per-device kernel state shared by subsystems (who owns the device right now). */
export interface SimDeviceState {
  readonly dev: HostPciDevice;
  /** Index N of `/dev/vfio/devices/vfioN` (cdev). */
  readonly cdevIndex: number;
  /** How userspace holds the device: through a VFIO group, a cdev, or not at all. */
  owner: 'group' | 'cdev' | null;
}

const SYSFS_PCI_DEVICES = '/sys/bus/pci/devices/';

/** `major` of the `vfio-dev` chrdev region (any fixed number; userspace only compares it). */
export const VFIO_CDEV_MAJOR = 511;

/**
 * A simulated Linux kernel for one host model, implementing the `KernelUapi` seam:
 * IOMMU units probed by their vendor drivers, PCI devices with their groups, a sysfs
 * view, device nodes owned by subsystems, an fd table, fault injection on every fallible
 * call and a list of live objects.
 */
export class SimKernel implements KernelUapi, LiveObjectSource {
  readonly features: KernelFeatures;
  /** Probed IOMMU units by name. */
  readonly instances = new Map<string, IommuInstance>();
  /** Per-device state by BDF. */
  readonly devices = new Map<string, SimDeviceState>();
  readonly #groups = new Map<number, SimDeviceState[]>();
  readonly #subsystems: KernelSubsystem[] = [];
  readonly #files = new Map<number, SimFile>();
  #nextFd = 3;

  constructor(
    readonly host: HostModel,
    drivers: readonly IommuDriver[],
    readonly faults: FaultPlan = new FaultPlan(),
  ) {
    this.features = kernelFeatures(host.kernel.release);
    for (const unit of host.units) {
      const driver = drivers.find((d) => d.vendor === unit.vendor);
      if (driver) this.instances.set(unit.name, driver.probe(unit, this.features, host.kernel.cmdline, host.units));
    }
    host.devices.forEach((dev, i) => this.devices.set(dev.bdf, { dev, cdevIndex: i, owner: null }));
    for (const state of this.devices.values()) {
      const group = this.#groups.get(state.dev.group);
      if (group) group.push(state);
      else this.#groups.set(state.dev.group, [state]);
    }
  }

  /** Adds a subsystem (its device nodes become openable). */
  addSubsystem(s: KernelSubsystem): void {
    this.#subsystems.push(s);
  }

  /** The probed IOMMU instance a device sits behind, if its unit has a driver. */
  iommuOf(dev: HostPciDevice): IommuInstance | undefined {
    return this.instances.get(dev.unit);
  }

  /** Every device in an IOMMU group, in host order. */
  groupDevices(group: number): readonly SimDeviceState[] {
    return this.#groups.get(group) ?? [];
  }

  /** Throws the injected errno, if the fault plan says this call fails. */
  gate(call: string): void {
    const errno = this.faults.next(call);
    if (errno) throw new KernelError(errno, call, 'injected fault');
  }

  open(path: string): number {
    this.gate('open');
    for (const s of this.#subsystems) {
      const f = s.open(path, this);
      if (f) {
        const fd = this.#nextFd++;
        this.#files.set(fd, f);
        return fd;
      }
    }
    throw new KernelError('ENOENT', 'open', path);
  }

  /**
   * `fd_install` of a file a subsystem created inside an ioctl (`anon_inode_getfile`, e.g.
   * the device fd of `VFIO_GROUP_GET_DEVICE_FD`): returns its new fd. Not a fallible call.
   */
  installFile(f: SimFile): number {
    const fd = this.#nextFd++;
    this.#files.set(fd, f);
    return fd;
  }

  close(fd: number): void {
    const f = this.#files.get(fd);
    if (!f) return;
    this.#files.delete(fd);
    f.release();
  }

  /** The file behind an fd (for subsystems resolving fds passed in ioctl args). */
  file(fd: number): SimFile | undefined {
    return this.#files.get(fd);
  }

  ioctl<K extends IoctlName>(fd: number, request: K, arg: IoctlMap[K][0]): IoctlMap[K][1] {
    this.gate(request);
    const f = this.#files.get(fd);
    if (!f) throw new KernelError('EBADF', request);
    return f.ioctl(request, arg, fd) as IoctlMap[K][1];
  }

  /** `/sys/bus/pci/devices/<bdf>` and its `iommu_group` link. */
  readlink(path: string): string {
    this.gate('readlink');
    const rest = path.startsWith(SYSFS_PCI_DEVICES) ? path.slice(SYSFS_PCI_DEVICES.length) : '';
    const slash = rest.indexOf('/');
    const link = slash < 0 ? '' : rest.slice(slash);
    const d = this.devices.get(slash < 0 ? rest : rest.slice(0, slash));
    if (!d || (link !== '' && link !== '/iommu_group')) throw new KernelError('ENOENT', 'readlink', path);
    if (link) return `../../../../kernel/iommu_groups/${d.dev.group}`;
    return `../../../devices/pci${d.dev.bdf.slice(0, 4)}:${d.dev.bdf.slice(5, 7)}/${d.dev.bdf}`;
  }

  readdir(path: string): string[] {
    this.gate('readdir');
    const m = /^\/sys\/bus\/pci\/devices\/([^/]+)\/vfio-dev$/.exec(path);
    const d = m ? this.cdevDevice(m[1]!) : undefined;
    if (!d) throw new KernelError('ENOENT', 'readdir', path);
    return [`vfio${d.cdevIndex}`];
  }

  readFile(path: string): string {
    this.gate('read');
    const m = /^\/sys\/bus\/pci\/devices\/([^/]+)\/vfio-dev\/vfio(\d+)\/dev$/.exec(path);
    const d = m ? this.cdevDevice(m[1]!) : undefined;
    if (!d || String(d.cdevIndex) !== m![2]) throw new KernelError('ENOENT', 'read', path);
    return `${VFIO_CDEV_MAJOR}:${d.cdevIndex}\n`;
  }

  /**
   * A device that has a VFIO cdev (`vfio-pci` bound, kernel with CONFIG_VFIO_DEVICE_CDEV) —
   * registered by `__vfio_register_dev`, which refuses (EINVAL, no cdev) a device whose IOMMU
   * is not `IOMMU_CAP_CACHE_COHERENCY`, as it refuses the group node.
   */
  cdevDevice(bdf: string): SimDeviceState | undefined {
    const d = this.devices.get(bdf);
    if (!d || d.dev.driver !== 'vfio-pci' || !this.host.kernel.vfioCdev || !this.features.vfioCdev) return undefined;
    if (!this.iommuOf(d.dev)?.capable('CACHE_COHERENCY', d.dev)) return undefined;
    return d;
  }

  liveObjects(): LiveObject[] {
    const out: LiveObject[] = [];
    for (const [fd, f] of this.#files) out.push({ kind: `fd:${f.kind}`, id: fd, description: f.description });
    for (const s of this.#subsystems) for (const o of s.liveObjects()) out.push(o);
    return out;
  }
}
