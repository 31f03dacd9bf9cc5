import {
  parsePropertyValue,
  pciSetupIommu,
  QemuError,
  resolveProperties,
  ViommuFlag,
  type MachineContext,
  type OptionPair,
  type PCIBus,
  type PluginManifest,
  type ProfileId,
  type PropertyDecl,
  type PropertyValues,
  type QemuProfile,
  type ViommuPlugin,
  type ViommuRealizeContext,
} from '@viommu/core';
import { SMMU_ID_REGISTERS } from '../regs.js';
import { smmuIdRegs, smmuStage } from './id-regs.js';
import { virtForcesNested, virtMachineSmmus, virtPrePlugSmmu } from './machine.js';
import { SMMU_PROFILES } from './profiles.js';
import { smmuProperties, TYPE_ARM_SMMUV3 } from './properties.js';
import { SMMUv3Device, VIRT_ITS_MSI_GPA } from './smmuv3.js';
import { smmuValidateProperty } from './validate.js';

export const ARM_SMMUV3_MANIFEST: PluginManifest = {
  typeName: TYPE_ARM_SMMUV3,
  vendor: 'arm',
  arch: 'aarch64',
  qemuBinary: 'qemu-system-aarch64',
  defaultMachine: 'virt',
  profiles: ['7.2', '10.0', '10.2', 'upstream'],
  registers: SMMU_ID_REGISTERS,
};

/**
 * `get_viommu_flags` of arm-smmuv3 (master `smmuv3_accel_get_viommu_flags`): only with
 * `accel=on` — a nesting parent always, PASID when `ssidsize` > 0. Properties only.
 */
export function smmuv3ViommuFlags(profile: ProfileId, props: PropertyValues): bigint {
  if (!SMMU_PROFILES[profile].accel || props.accel !== true) return 0n;
  return ViommuFlag.WANT_NESTING_PARENT | (Number(props.ssidsize) !== 0 ? ViommuFlag.PASID_SUPPORTED : 0n);
}

/** `-global arm-smmuv3.<prop>=<value>`, each checked as `qdev_prop_set_globals` does. */
function checkGlobals(decls: readonly PropertyDecl[], globals: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(globals)) {
    const d = decls.find((x) => x.name === k);
    try {
      if (!d) throw new QemuError(`Property '${TYPE_ARM_SMMUV3}.${k}' not found`, 'option-parse');
      parsePropertyValue(d, v, 'string');
    } catch (e) {
      if (e instanceof QemuError) throw e.prepend(`can't apply global ${TYPE_ARM_SMMUV3}.${k}=${v}: `, 'machine');
      throw e;
    }
  }
}

/** The `primary-bus` link target (`object_resolve_link`). */
function resolvePrimaryBus(machine: MachineContext, name: string): PCIBus | null {
  if (name === '') return null;
  const bus = machine.pci.buses().find((b) => b.name === name);
  if (!bus) throw new QemuError(`Device '${name}' not found`, 'option-parse');
  return bus;
}

/** QEMU's `arm-smmuv3` vIOMMU: `-machine virt,iommu=smmuv3` in every profile, `-device arm-smmuv3` from 10.2. */
export class ArmSmmuV3Plugin implements ViommuPlugin {
  readonly manifest = ARM_SMMUV3_MANIFEST;

  properties(profile: ProfileId): readonly PropertyDecl[] {
    return smmuProperties(profile);
  }

  viommuFlags(profile: ProfileId, props: PropertyValues): bigint {
    return smmuv3ViommuFlags(profile, props);
  }

  machineDevices(_profile: QemuProfile, machine: MachineContext): readonly (readonly OptionPair[])[] {
    return virtMachineSmmus(machine);
  }

  /**
   * `create_smmu` (machine) or `qdev_device_add` (`-device`): properties (globals, options),
   * virt's pre-plug rules, `smmu_validate_property`, `smmu_base_realize`'s bus rules, then the
   * ops on the primary bus (`pci_setup_iommu`, per bus with `smmu_per_bus`).
   */
  realize(ctx: ViommuRealizeContext): SMMUv3Device {
    const { machine, fromMachine } = ctx;
    const prof = SMMU_PROFILES[ctx.profile.id];
    if (!fromMachine && !prof.pluggable) throw new QemuError("Parameter 'driver' expects a pluggable device type", 'option-parse');
    const decls = smmuProperties(ctx.profile.id);
    const globals = machine.globals[TYPE_ARM_SMMUV3] ?? {};
    checkGlobals(decls, globals);
    const props = resolveProperties(TYPE_ARM_SMMUV3, decls, { globals, given: ctx.options });
    let bus: PCIBus | null;
    if (fromMachine) {
      bus = machine.rootBus;
      if (virtForcesNested(prof, machine)) props.stage = 'nested';
    } else {
      bus = resolvePrimaryBus(machine, String(props['primary-bus']));
      virtPrePlugSmmu(machine, props.accel === true);
      if (prof.smmuPerBus) props.smmu_per_bus = true;
      if (props.accel === true) props['msi-gpa'] = VIRT_ITS_MSI_GPA;
    }
    if (prof.accel) smmuValidateProperty(props);
    if (!bus) throw new QemuError('SMMU is not attached to any PCI bus!', 'realize');
    if (prof.rootComplexCheck && !(bus.isRoot && bus.isExpress && (!bus.parentDev || bus.parentDev.typeName === 'pxb-pcie'))) {
      throw new QemuError(
        'SMMU should be attached to a default PCIe root complex(pcie.0) or a pxb-pcie based root complex',
        'realize',
      );
    }
    if (!fromMachine && bus.bypassIommu) throw new QemuError('Bypass option cannot be set for SMMUv3 associated PCIe RC', 'realize');
    const stage = smmuStage(prof, String(props.stage ?? ''));
    const regs = smmuIdRegs(prof, stage, props);
    ctx.trace.step('smmuv3_realize', { id: ctx.id, bus: bus.name, stage, accel: props.accel === true });
    const dev = new SMMUv3Device(ctx.id, Object.freeze({ ...props }), regs, machine, ctx.trace, (p) =>
      smmuv3ViommuFlags(ctx.profile.id, p),
    );
    pciSetupIommu(bus, dev.ops);
    if (props.smmu_per_bus === true) bus.iommuPerBus = true;
    return dev;
  }
}
