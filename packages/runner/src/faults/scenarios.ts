import { DEFAULT_PROFILE, findProfile, InputError, SUITE_RULES } from '@viommu/core';
import { listHosts } from '../hosts/index.js';
import { parseQemuArgs } from '../input/qemu-args.js';
import { resolveAllOrNone, type Composition } from '../scenario/compose.js';
import { generateScenarios, type SuiteFilter } from '../suite/generate.js';
import type { SweepScenario } from './sweep.js';

/** The suite's scenarios (every package's suite rules over the catalogue hosts the kernel model probes). */
export function suiteSweepScenarios(comp: Composition, filter: SuiteFilter = {}): SweepScenario[] {
  const registry = comp.root.createChildContainer();
  for (const p of comp.packages) p.register(registry);
  const rules = resolveAllOrNone(registry, SUITE_RULES);
  const hosts = listHosts().filter((h) => {
    try {
      comp.scenario(h, DEFAULT_PROFILE);
      return true;
    } catch (e) {
      if (e instanceof InputError) return false;
      throw e;
    }
  });
  return generateScenarios(hosts, rules, filter).map((s) => ({
    id: s.id,
    vm: parseQemuArgs(s.argv, s.id),
    host: s.host,
    profile: findProfile(s.profile)!,
  }));
}
