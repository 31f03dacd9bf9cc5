import {
  pciSetupIommu,
  PROFILES,
  QemuError,
  resolveProperties,
  type PluginManifest,
  type ProfileId,
  type PropertyDecl,
  type ViommuPlugin,
  type ViommuRealizeContext,
} from '@viommu/core';
import { Device } from './device.js';
import { AW_BITS_VALUES, PROPERTIES, TYPE_NAME } from './properties.js';

export const MANIFEST: PluginManifest = {
  typeName: TYPE_NAME,
  vendor: '__VENDOR__',
  arch: 'x86_64',
  qemuBinary: 'qemu-system-x86_64',
  defaultMachine: 'q35',
  profiles: PROFILES.map((p) => p.id),
  registers: ['aw'],
};

/** The `ViommuPlugin`: properties, flags and realize of `-device __TYPE__`. */
export class Plugin implements ViommuPlugin {
  readonly manifest = MANIFEST;

  properties(profile: ProfileId): readonly PropertyDecl[] {
    return PROPERTIES[profile];
  }

  /** No `get_viommu_flags`: the device asks nothing of the host's page tables. */
  viommuFlags(): bigint {
    return 0n;
  }

  /**
   * Properties (defaults, `-global`, options), their check (the message is intel-iommu's,
   * QEMU `vtd_decide_config`), then the ops on the root bus.
   */
  realize(ctx: ViommuRealizeContext): Device {
    const props = resolveProperties(TYPE_NAME, this.properties(ctx.profile.id), {
      globals: ctx.machine.globals[TYPE_NAME],
      given: ctx.options,
    });
    if (!AW_BITS_VALUES.includes(Number(props['aw-bits']) as (typeof AW_BITS_VALUES)[number])) {
      throw new QemuError(`Supported values for aw-bits are: ${AW_BITS_VALUES.join(', ')}`, 'realize');
    }
    const dev = new Device(ctx.id, Object.freeze({ ...props }), ctx.profile, ctx.trace);
    pciSetupIommu(ctx.machine.rootBus, dev.ops);
    return dev;
  }
}
