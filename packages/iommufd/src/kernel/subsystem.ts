import type { KernelSubsystem, LiveObject, SimFile, SimKernel } from '@viommu/core';
import { IommufdCtx } from './iommufd-ctx.js';
import { VfioCdevFile } from './vfio-cdev.js';

/**
 * The iommufd part of the simulated kernel: `/dev/iommu` (CONFIG_IOMMUFD, 6.2+) and the VFIO
 * device cdevs `/dev/vfio/devices/vfioN` (CONFIG_VFIO_DEVICE_CDEV, 6.6+). A node the host's
 * kernel does not have stays absent (`open` → `ENOENT`).
 */
export class IommufdSubsystem implements KernelSubsystem {
  readonly name = 'iommufd';
  readonly #contexts = new Set<IommufdCtx>();
  readonly #bindings = new Map<string, IommufdCtx>();

  open(path: string, kernel: SimKernel): SimFile | undefined {
    if (path === '/dev/iommu') {
      if (!kernel.host.kernel.iommufd || !kernel.features.iommufd) return undefined;
      const ctx = new IommufdCtx(kernel.features, (c) => this.#contexts.delete(c));
      this.#contexts.add(ctx);
      return ctx;
    }
    const m = path.startsWith('/dev/vfio/devices/') ? /^\/dev\/vfio\/devices\/vfio(\d+)$/.exec(path) : null;
    if (!m) return undefined;
    const state = [...kernel.devices.values()].find((d) => String(d.cdevIndex) === m[1]);
    if (!state || !kernel.cdevDevice(state.dev.bdf)) return undefined;
    return new VfioCdevFile(kernel, state, this.#bindings);
  }

  /** Every object of every live iommufd context. */
  liveObjects(): LiveObject[] {
    const out: LiveObject[] = [];
    for (const c of this.#contexts) for (const o of c.liveObjects()) out.push(o);
    return out;
  }
}
