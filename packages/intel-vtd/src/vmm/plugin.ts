import {
  checkGlobalProperties,
  pciSetupIommu,
  QemuError,
  resolveProperties,
  type PluginManifest,
  type ProfileId,
  type PropertyDecl,
  type PropertyValue,
  type PropertyValues,
  type ViommuPlugin,
  type ViommuRealizeContext,
} from '@viommu/core';
import { vtdDecideConfig, x86IommuRealize } from './decide-config.js';
import { vtdViommuFlags } from './flags.js';
import { IntelIOMMUDevice } from './intel-iommu.js';
import { TYPE_INTEL_IOMMU_DEVICE, vtdCompatProps, vtdConfig, vtdProperties } from './properties.js';
import { VTD_REGISTERS } from './registers.js';

export const INTEL_IOMMU_MANIFEST: PluginManifest = {
  typeName: TYPE_INTEL_IOMMU_DEVICE,
  vendor: 'intel',
  arch: 'x86_64',
  qemuBinary: 'qemu-system-x86_64',
  defaultMachine: 'q35',
  profiles: ['7.2', '10.0', '10.2', 'upstream'],
  registers: VTD_REGISTERS,
};

/** vIOMMUs `pc_machine_device_pre_plug_cb` counts as "the" x86 vIOMMU (`pcms->iommu`). */
export const X86_VIOMMU_TYPES: readonly string[] = ['intel-iommu', 'amd-iommu', 'virtio-iommu-pci'];

/**
 * The resolved values copied into a frozen plain object in declaration order. Freezing the
 * object `resolveProperties` answers in place, or spreading it, measured slower per scenario.
 */
function frozenValues(decls: readonly PropertyDecl[], props: PropertyValues): PropertyValues {
  const out: Record<string, PropertyValue> = {};
  for (const d of decls) out[d.name] = props[d.name]!;
  return Object.freeze(out);
}

/** QEMU's `intel-iommu` vIOMMU (`hw/i386/intel_iommu.c`) across the four profiles. */
export class IntelIommuPlugin implements ViommuPlugin {
  readonly manifest = INTEL_IOMMU_MANIFEST;

  properties(profile: ProfileId): readonly PropertyDecl[] {
    return vtdProperties(profile);
  }

  viommuFlags(profile: ProfileId, props: PropertyValues): bigint {
    return vtdViommuFlags(profile, props);
  }

  /**
   * `qdev_device_add` of `-device intel-iommu`: q35's dynamic-sysbus allow list, properties
   * (class defaults < machine compat < `-global` < options), `pc_machine_device_pre_plug_cb`
   * (one x86 vIOMMU), `x86_iommu_realize`, `vtd_realize` / `vtd_decide_config`, then
   * `pci_setup_iommu` on `pcie.0`.
   */
  realize(ctx: ViommuRealizeContext): IntelIOMMUDevice {
    const { machine } = ctx;
    const profile = ctx.profile.id;
    if (machine.family !== 'q35') {
      throw new QemuError("Parameter 'driver' expects a dynamic sysbus device type for the machine", 'option-parse');
    }
    const decls = vtdProperties(profile);
    const globals = machine.globals[TYPE_INTEL_IOMMU_DEVICE] ?? {};
    checkGlobalProperties(TYPE_INTEL_IOMMU_DEVICE, decls, globals);
    const props = frozenValues(
      decls,
      resolveProperties(TYPE_INTEL_IOMMU_DEVICE, decls, {
        compat: vtdCompatProps(profile, machine),
        globals,
        given: ctx.options,
      }),
    );
    if (machine.viommus.some((v) => X86_VIOMMU_TYPES.includes(v.typeName))) {
      throw new QemuError('QEMU does not support multiple vIOMMUs for x86 yet.', 'machine');
    }
    const c = vtdConfig(profile, props);
    const intremap = x86IommuRealize(c, machine);
    const ir = vtdDecideConfig(profile, c, intremap, machine);
    const dev = new IntelIOMMUDevice(profile, ctx.id, props, ir, ctx.trace);
    const { cap, ecap } = dev.registers();
    ctx.trace.step('vtd_realize', { id: ctx.id, cap: cap!, ecap: ecap!, intremap: ir.intremap, eim: ir.eim });
    pciSetupIommu(machine.rootBus, dev.ops!);
    return dev;
  }
}
