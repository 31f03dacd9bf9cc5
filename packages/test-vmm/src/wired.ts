// tsyringe needs the Reflect polyfill before it loads; an oracle script importing these helpers has no mocha --require.
import 'reflect-metadata';
import {
  FAULT_PLAN,
  FaultPlan,
  IOMMU_DRIVER,
  KERNEL_SUBSYSTEM,
  KERNEL_UAPI,
  QEMU_PROFILE,
  SimKernel,
  TRACE,
  Trace,
  tracedKernel,
  type FaultSpec,
  type HostModel,
  type KernelUapi,
  type QemuProfile,
} from '@viommu/core';
import { container, type DependencyContainer } from 'tsyringe';

/** A package's `register(container)`. */
export type Register = (c: DependencyContainer) => void;

export interface WiredScenario {
  /** The scenario's child container: profile, trace, fault plan, the packages, `KERNEL_UAPI`. */
  readonly c: DependencyContainer;
  /** The simulated kernel for the host. */
  readonly sim: SimKernel;
  /** `sim` traced into `trace`, as `KERNEL_UAPI` resolves. */
  readonly kernel: KernelUapi;
  readonly trace: Trace;
}

/**
 * One scenario wired as the runner wires it (`Composition.scenario`): a child container with
 * the profile, a trace and the fault plan of `faults` (a call and its occurrence in the whole
 * run), each package's `register`, and a `SimKernel` for `host` with every registered
 * `IOMMU_DRIVER` and `KERNEL_SUBSYSTEM`, traced.
 */
export function wiredScenario(
  host: HostModel,
  profile: QemuProfile,
  registers: readonly Register[],
  faults: readonly FaultSpec[] = [],
): WiredScenario {
  const c = container.createChildContainer();
  const trace = new Trace();
  const plan = new FaultPlan(faults);
  c.register(QEMU_PROFILE, { useValue: profile });
  c.register(TRACE, { useValue: trace });
  c.register(FAULT_PLAN, { useValue: plan });
  for (const register of registers) register(c);
  const sim = new SimKernel(host, c.resolveAll(IOMMU_DRIVER), plan);
  for (const s of c.resolveAll(KERNEL_SUBSYSTEM)) sim.addSubsystem(s);
  const kernel = tracedKernel(sim, trace);
  c.register(KERNEL_UAPI, { useValue: kernel });
  return { c, sim, kernel, trace };
}
