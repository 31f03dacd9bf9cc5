import 'reflect-metadata';
import {
  FAULT_PLAN,
  FaultPlan,
  InputError,
  KernelError,
  HOST_MODEL,
  IOMMU_DRIVER,
  KERNEL_OBJECTS,
  KERNEL_SUBSYSTEM,
  KERNEL_UAPI,
  QEMU_PROFILE,
  SIMULATED_KERNEL,
  SimKernel,
  SUITE_RULES,
  Trace,
  TRACE,
  tracedKernel,
  VIOMMU_PLUGIN,
  type FaultSpec,
  type HostModel,
  type IommuDriver,
  type QemuProfile,
} from '@viommu/core';
import { container as globalContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';
import { discoverPlugins, type PluginPackage } from '../plugins/discovery.js';

/** Tokens whose registrations the plugin contract keeps stateless: shared by every scenario, frozen. */
const SHARED_VALUES: readonly InjectionToken<object>[] = [VIOMMU_PLUGIN, IOMMU_DRIVER, SUITE_RULES];

/** Every value registered under a multi token, or none when nothing registered it. */
export function resolveAllOrNone<T>(c: DependencyContainer, token: InjectionToken<T>): T[] {
  return c.isRegistered(token, true) ? c.resolveAll(token) : [];
}

/**
 * The simulated kernel of a host, its IOMMU units probed. A unit its driver refuses (the
 * kernel's `alloc_iommu` failing on a hand-written profile's registers) is bad input.
 * @throws InputError naming the host and the driver's reason.
 */
function probeHost(host: HostModel, drivers: readonly IommuDriver[], plan: FaultPlan): SimKernel {
  try {
    return new SimKernel(host, drivers, plan);
  } catch (e) {
    if (e instanceof KernelError) throw new InputError(`the host kernel does not probe its IOMMU: ${e.message}`, `host ${host.id}`);
    throw e;
  }
}

/**
 * The composition root: one tsyringe container for the process, holding nothing that
 * belongs to a scenario, and the plugin packages discovered once. The packages register once,
 * into a child of the root: their values (plugins, driver models, suite rules — stateless, as
 * the plugin contract requires) are frozen and shared, and what they register
 * `Lifecycle.ContainerScoped` (kernel subsystems, VFIO backends) is created afresh in each
 * scenario's own child container (`scenario()`), so no state crosses scenarios.
 */
export class Composition {
  /** The packages' registrations, made once; every scenario container is its child. */
  readonly #registered: DependencyContainer;
  /** Every `IOMMU_DRIVER` (shared values), for each scenario's `SimKernel`. */
  readonly #drivers: readonly IommuDriver[];

  private constructor(
    readonly root: DependencyContainer,
    readonly packages: readonly PluginPackage[],
    readonly notes: readonly string[],
  ) {
    this.#registered = root.createChildContainer();
    for (const p of packages) p.register(this.#registered);
    for (const token of SHARED_VALUES) for (const v of resolveAllOrNone<object>(this.#registered, token)) Object.freeze(v);
    this.#drivers = Object.freeze(resolveAllOrNone(this.#registered, IOMMU_DRIVER));
  }

  /** Discovers the plugin packages (built-ins and declared ones) and creates the root. */
  static async create(cwd?: string): Promise<Composition> {
    const found = await discoverPlugins({ cwd });
    return new Composition(globalContainer.createChildContainer(), found.packages, found.notes);
  }

  /** A composition over given packages (tests, embedders). */
  static of(packages: readonly PluginPackage[]): Composition {
    return new Composition(globalContainer.createChildContainer(), packages, []);
  }

  /**
   * A scenario's container: the host, profile, trace and fault plan; every package's
   * registrations (its container-scoped ones instantiated for this scenario only); a `SimKernel`
   * for the host with every `IOMMU_DRIVER` and `KERNEL_SUBSYSTEM`, exposed traced as
   * `KERNEL_UAPI` and raw as `KERNEL_OBJECTS`.
   */
  scenario(host: HostModel, profile: QemuProfile, faults: readonly FaultSpec[] = []): DependencyContainer {
    const c = this.#registered.createChildContainer();
    const trace = new Trace();
    const plan = new FaultPlan(faults);
    c.register(HOST_MODEL, { useValue: host });
    c.register(QEMU_PROFILE, { useValue: profile });
    c.register(TRACE, { useValue: trace });
    c.register(FAULT_PLAN, { useValue: plan });
    const sim = probeHost(host, this.#drivers, plan);
    for (const s of resolveAllOrNone(c, KERNEL_SUBSYSTEM)) sim.addSubsystem(s);
    c.register(SIMULATED_KERNEL, { useValue: sim });
    c.register(KERNEL_OBJECTS, { useValue: sim });
    c.register(KERNEL_UAPI, { useValue: tracedKernel(sim, trace) });
    return c;
  }
}
