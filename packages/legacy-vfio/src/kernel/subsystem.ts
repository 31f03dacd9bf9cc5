import { KernelError, type KernelSubsystem, type LiveObject, type SimFile, type SimKernel } from '@viommu/core';
import { ContainerFile, KernelContainer } from './container.js';
import { GroupFile, KernelGroup } from './group.js';
import { type1Env, type1KernelTraits } from './kernel-release.js';

const GROUP_NODE = /^\/dev\/vfio\/(\d+)$/;

/**
 * The legacy VFIO part of a simulated kernel: `/dev/vfio/vfio` (containers and the type1
 * backend, `drivers/vfio/container.c` + `vfio_iommu_type1.c`) and `/dev/vfio/<group>`
 * (`drivers/vfio/group.c`). One instance per simulated kernel.
 */
export class VfioType1Subsystem implements KernelSubsystem {
  readonly name = 'vfio-type1';
  readonly #containers = new Set<KernelContainer>();
  readonly #groups = new Map<number, KernelGroup>();
  #nextContainer = 1;

  open(path: string, kernel: SimKernel): SimFile | undefined {
    if (path === '/dev/vfio/vfio') return this.#openContainer(kernel);
    const m = GROUP_NODE.exec(path);
    return m ? this.#openGroup(Number(m[1]), kernel) : undefined;
  }

  #openContainer(kernel: SimKernel): SimFile {
    const c = new KernelContainer(this.#nextContainer++, type1Env(kernel.host.kernel), (gone) => this.#containers.delete(gone));
    this.#containers.add(c);
    return new ContainerFile(c);
  }

  /**
   * `vfio_group_fops_open`. The node exists only while a device of the group is bound to
   * VFIO; one open at a time (EBUSY), and none while a device of it is open through its cdev.
   */
  #openGroup(id: number, kernel: SimKernel): SimFile | undefined {
    const group = this.#groups.get(id) ?? new KernelGroup(id, kernel);
    if (!group.exists()) return undefined;
    if (group.fileRefs > 0) throw new KernelError('EBUSY', 'open', `/dev/vfio/${id} is already open`);
    if (type1KernelTraits(kernel.host.kernel.release).cdevBlocksGroup && group.devices().some((s) => s.owner === 'cdev')) {
      throw new KernelError('EBUSY', 'open', `a device of group ${id} is open through its cdev`);
    }
    this.#groups.set(id, group);
    group.fileRefs = 1;
    return new GroupFile(group);
  }

  /** Containers, open groups, type1 domains and group-opened devices. */
  liveObjects(): LiveObject[] {
    const out: LiveObject[] = [];
    for (const c of this.#containers) {
      out.push({ kind: 'vfio-container', id: c.id, description: c.iommu ? `type ${c.iommu.type}` : 'no IOMMU set' });
      c.iommu?.domains.forEach((d, i) => out.push({ kind: 'vfio-type1-domain', id: i, description: `container ${c.id} on ${d.instance.unit.name}` }));
    }
    for (const g of this.#groups.values()) {
      if (g.fileRefs === 0) continue;
      out.push({ kind: 'vfio-group', id: g.id, description: g.container ? `container ${g.container.id}` : 'no container' });
      for (const [name, n] of g.deviceOpens) out.push({ kind: 'vfio-device', id: g.id, description: `${name} ×${n}` });
    }
    return out;
  }
}
