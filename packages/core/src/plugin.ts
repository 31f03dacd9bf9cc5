import type { MachineContext, MachineDoneContext } from './machine.js';
import type { PCIIOMMUOps } from './pci/iommu-ops.js';
import type { ProfileId, QemuProfile } from './profile.js';
import type { OptionPair } from './qom/keyval.js';
import type { PropertyDecl, PropertyValues } from './qom/properties.js';
import type { Trace } from './trace.js';

/**
 * What a vIOMMU plugin declares about itself. The runner lists it (`viommu plugins`) and
 * matches `-device <typeName>` to it.
 */
export interface PluginManifest {
  /** QEMU QOM type name the plugin models (`intel-iommu`, `arm-smmuv3`). */
  readonly typeName: string;
  /** Vendor key (`intel`, `arm`, …); pairs with the kernel driver of the same vendor. */
  readonly vendor: string;
  /** QEMU target the device exists in. */
  readonly arch: 'x86_64' | 'aarch64';
  /** The QEMU binary that has it (`qemu-system-x86_64`). */
  readonly qemuBinary: string;
  /** Machine family used when the user names none (`q35`, `virt`). */
  readonly defaultMachine: string;
  /**
   * Further targets the same device type exists in, for devices that are not tied to one
   * architecture (`virtio-iommu-pci` is in both `qemu-system-x86_64` and `qemu-system-aarch64`).
   * `arch`/`qemuBinary`/`defaultMachine` above stay the primary target. Absent: that one only.
   */
  readonly otherTargets?: readonly PluginTarget[];
  /** Profiles the plugin models. */
  readonly profiles: readonly ProfileId[];
  /** Guest-visible register names in print order (`ver`, `cap`, `ecap`). */
  readonly registers: readonly string[];
  /** npm package and version, filled by discovery. */
  readonly packageName?: string;
  readonly packageVersion?: string;
}

/** One QEMU target a vIOMMU device type exists in. */
export interface PluginTarget {
  readonly arch: 'x86_64' | 'aarch64';
  readonly qemuBinary: string;
  readonly defaultMachine: string;
}

/** Everything a vIOMMU's realize may read. No host: realize never sees the host. */
export interface ViommuRealizeContext {
  readonly profile: QemuProfile;
  readonly machine: MachineContext;
  /** The `-device` option pairs as given (after the driver name). */
  readonly options: readonly OptionPair[];
  /** The `id=` of the device, if any. */
  readonly id?: string;
  /** True when the machine itself creates the device (`-machine virt,iommu=smmuv3`). */
  readonly fromMachine?: boolean;
  readonly trace: Trace;
}

/**
 * A realized vIOMMU (the QEMU device instance). It has installed its `PCIIOMMUOps` on the
 * bus it translates; `registers()` gives its guest-visible ID registers.
 */
export interface ViommuDevice {
  readonly typeName: string;
  readonly id?: string;
  /** Resolved properties (defaults, compat, globals, options). */
  readonly props: PropertyValues;
  /** The ops it installed, or null if it installs none (none in QEMU 7.2 terms). */
  readonly ops: PCIIOMMUOps | null;
  /** Guest-visible registers by the manifest's names, as QEMU computes them. */
  registers(): Readonly<Record<string, bigint>>;
  /** `machine_init_done` notifier (e.g. 7.2/10.0 intel-iommu's caching-mode check). Throws QemuError. */
  machineInitDone?(ctx: MachineDoneContext): void;
  /** Host IOMMU devices currently registered through `set_iommu_device` (for leak checks). */
  registeredDevices(): number;
  /**
   * What QEMU printed with `error_report` without failing (e.g. arm-smmuv3 accel's
   * `Failed to attach all GBPA based HWPTs properly` at system reset), in order. Absent: none.
   */
  warnings?(): readonly string[];
  /**
   * What the vIOMMU does when the guest first programs it, after the VM started (arm-smmuv3
   * accel: a Linux guest's CFGI_ALL at SMMU reset, then a translate STE per device — the
   * vDEVICEs and nested HWPTs). Not part of a start check (`viommu check` stops at machine
   * start); the fault sweep runs it. What QEMU only reports goes to `warnings()`. Absent: nothing.
   */
  guestBoot?(): void;
}

/**
 * A vIOMMU plugin: one QEMU vIOMMU device type across the profiles it supports.
 * Register it under `VIOMMU_PLUGIN` from the package's `register(container)`.
 */
export interface ViommuPlugin {
  readonly manifest: PluginManifest;

  /** QOM properties of the device in `profile` (class defaults). */
  properties(profile: ProfileId): readonly PropertyDecl[];

  /**
   * The vIOMMU flags (`get_viommu_flags`) as a pure function of resolved properties.
   * Takes nothing from the host by construction; profiles without the API return 0.
   */
  viommuFlags(profile: ProfileId, props: PropertyValues): bigint;

  /**
   * Creates, validates and realizes the device with QEMU's checks in QEMU's order.
   * @throws QemuError with QEMU's exact message and stage.
   */
  realize(ctx: ViommuRealizeContext): ViommuDevice;

  /**
   * Devices the machine options create for this plugin (`-machine virt,iommu=smmuv3`):
   * each entry is one device's option pairs. Absent or empty: none.
   */
  machineDevices?(profile: QemuProfile, machine: MachineContext): readonly (readonly OptionPair[])[];
}

/** What a plugin package exports: `register(container)` (see `register.ts`). */
export const VIOMMU_PLUGIN_PACKAGE_FIELD = 'viommu';
