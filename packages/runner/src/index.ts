/**
 * @viommu/runner as a library: the same pieces the `viommu` CLI uses. Compose once, then run
 * any number of scenarios, each in its own child container:
 *
 * ```ts
 * import { Composition, loadHost, parseQemuArgs, runScenario } from '@viommu/runner';
 * import { findProfile } from '@viommu/core';
 * const comp = await Composition.create();
 * const host = await loadHost('intel-068'), profile = findProfile('10.0')!;
 * const verdict = runScenario(comp.scenario(host, profile), parseQemuArgs(argv), host, profile);
 * ```
 */
import 'reflect-metadata';
export { Composition, resolveAllOrNone } from './scenario/compose.js';
export { runScenario } from './scenario/engine.js';
export { formatVerdict, verdictToJson, type Refusal, type Verdict, type ViommuReport } from './scenario/verdict.js';
export { parseQemuArgs, splitShellWords } from './input/qemu-args.js';
export { parseLibvirtDomain } from './input/libvirt.js';
export { loadVm } from './input/load-vm.js';
export type { MachineOption, OptionEntry, VmConfig } from './input/vm-config.js';
export { BUILTIN_PACKAGES, discoverPlugins, type Discovery, type PluginPackage } from './plugins/discovery.js';
export { runSuite, formatSuite, suiteToJson, type ScenarioResult, type SuiteResult } from './suite/run.js';
export { generateScenarios, type SuiteFilter } from './suite/generate.js';
export { viommuRegisters, type RegsLine } from './regs/registers.js';
export * from './hosts/index.js';
