import { VIOMMU_PLUGIN, type ViommuDevice, type ViommuPlugin } from '@viommu/core';
import type { DependencyContainer } from 'tsyringe';
import { resolveAllOrNone } from '../scenario/compose.js';

/**
 * A scenario container whose vIOMMU plugins record the devices they realize, so a sweep can
 * ask each device for its registered host IOMMU devices after a refusal (the engine's verdict
 * reports registers, not devices). The scenario's kernel and everything else stay the parent's.
 */
export function observeViommus(c: DependencyContainer): { container: DependencyContainer; devices: ViommuDevice[] } {
  const devices: ViommuDevice[] = [];
  const child = c.createChildContainer();
  for (const p of resolveAllOrNone(c, VIOMMU_PLUGIN)) {
    const observed: ViommuPlugin = {
      manifest: p.manifest,
      properties: (id) => p.properties(id),
      viommuFlags: (id, props) => p.viommuFlags(id, props),
      realize: (ctx) => {
        const dev = p.realize(ctx);
        devices.push(dev);
        return dev;
      },
      ...(p.machineDevices ? { machineDevices: (profile, m) => p.machineDevices!(profile, m) } : {}),
    };
    child.register(VIOMMU_PLUGIN, { useValue: observed });
  }
  return { container: child, devices };
}
