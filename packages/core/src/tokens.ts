import type { InjectionToken } from 'tsyringe';
import type { IommuDriver } from './kernel/driver.js';
import type { HostModel } from './kernel/host-model.js';
import type { FaultPlan, LiveObjectSource } from './kernel/sim.js';
import type { KernelSubsystem } from './kernel/sim-kernel.js';
import type { MachineContext } from './machine.js';
import type { ViommuPlugin } from './plugin.js';
import type { QemuProfile } from './profile.js';
import type { SuiteRules } from './suite.js';
import type { Trace } from './trace.js';
import type { KernelUapi } from './uapi/kernel.js';
import type { IOMMUFDBackendFactory, VfioIommuBackend } from './vfio/backend.js';

/**
 * DI tokens for every contract. `Symbol.for` keeps identity stable even if two copies of
 * core end up installed. Per-scenario values are registered in the scenario's own child
 * container; multi-registrations (plugins, drivers) are never split between parent and child.
 */

/** A vIOMMU plugin (multi). */
export const VIOMMU_PLUGIN: InjectionToken<ViommuPlugin> = Symbol.for('viommu.ViommuPlugin');
/** Suite scenarios of a vIOMMU plugin (multi; see `SuiteRules`). */
export const SUITE_RULES: InjectionToken<SuiteRules> = Symbol.for('viommu.SuiteRules');
/** A kernel-side IOMMU driver (multi). */
export const IOMMU_DRIVER: InjectionToken<IommuDriver> = Symbol.for('viommu.IommuDriver');
/** The host being modelled (per scenario). */
export const HOST_MODEL: InjectionToken<HostModel> = Symbol.for('viommu.HostModel');
/** The QEMU profile (per scenario). */
export const QEMU_PROFILE: InjectionToken<QemuProfile> = Symbol.for('viommu.QemuProfile');
/** The scenario's trace (per scenario). */
export const TRACE: InjectionToken<Trace> = Symbol.for('viommu.Trace');
/** Fault plan for the simulated kernel (per scenario; empty plan = no faults). */
export const FAULT_PLAN: InjectionToken<FaultPlan> = Symbol.for('viommu.FaultPlan');
/** The kernel as the VMM reaches it (per scenario; the runner wraps it with `tracedKernel`). */
export const KERNEL_UAPI: InjectionToken<KernelUapi> = Symbol.for('viommu.KernelUapi');
/** The simulated kernel's live objects (per scenario). */
export const KERNEL_OBJECTS: InjectionToken<LiveObjectSource> = Symbol.for('viommu.KernelObjects');
/** The machine being built (per scenario). */
export const MACHINE: InjectionToken<MachineContext> = Symbol.for('viommu.Machine');
/** The legacy VFIO type1 backend (per scenario). */
export const VFIO_IOMMU_LEGACY: InjectionToken<VfioIommuBackend> = Symbol.for('viommu.VfioIommuLegacy');
/** The iommufd VFIO backend (per scenario). */
export const VFIO_IOMMU_IOMMUFD: InjectionToken<VfioIommuBackend> = Symbol.for('viommu.VfioIommuIommufd');
/** Factory of `-object iommufd` objects (per scenario). */
export const IOMMUFD_BACKEND_FACTORY: InjectionToken<IOMMUFDBackendFactory> = Symbol.for('viommu.IOMMUFDBackendFactory');
/**
 * Factory of a simulated kernel for a host (per scenario): a package that simulates a part
 * of the kernel (iommufd, type1) contributes to it.
 */
export const SIMULATED_KERNEL: InjectionToken<KernelUapi & LiveObjectSource> = Symbol.for('viommu.SimulatedKernel');
/** A subsystem of the simulated kernel (multi): `/dev/iommu` from iommufd, type1 from legacy-vfio. */
export const KERNEL_SUBSYSTEM: InjectionToken<KernelSubsystem> = Symbol.for('viommu.KernelSubsystem');
