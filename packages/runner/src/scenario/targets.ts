import type { ViommuPlugin } from '@viommu/core';
import type { VmConfig } from '../input/vm-config.js';
import { machineArch, type Arch } from './machine.js';

/** The QEMU target and machine type a configuration runs on. */
export interface Target {
  readonly arch: Arch;
  readonly machine: string;
}

/** Every target a plugin's device type exists in (primary first). */
export function pluginTargets(p: ViommuPlugin): { arch: Arch; defaultMachine: string }[] {
  return [p.manifest, ...(p.manifest.otherTargets ?? [])].map((t) => ({ arch: t.arch, defaultMachine: t.defaultMachine }));
}

/** The plugins whose device exists in `arch`. */
export function pluginsForArch(plugins: readonly ViommuPlugin[], arch: Arch): ViommuPlugin[] {
  return plugins.filter((p) => p.manifest.arch === arch || p.manifest.otherTargets?.some((t) => t.arch === arch));
}

/** The plugin modelling `-device <typeName>`, if any. */
export function pluginFor(plugins: readonly ViommuPlugin[], typeName: string): ViommuPlugin | undefined {
  return plugins.find((p) => p.manifest.typeName === typeName);
}

/**
 * The target: the machine's (`-machine virt` → aarch64), else the first vIOMMU device's
 * primary target and its usual machine, else x86_64 `q35`.
 */
export function targetOf(vm: VmConfig, plugins: readonly ViommuPlugin[]): Target {
  if (vm.machine.type) return { arch: machineArch(vm.machine.type) ?? 'x86_64', machine: vm.machine.type };
  for (const d of vm.devices) {
    const p = pluginFor(plugins, d.type);
    if (p) return { arch: p.manifest.arch, machine: p.manifest.defaultMachine };
  }
  return { arch: 'x86_64', machine: 'q35' };
}
