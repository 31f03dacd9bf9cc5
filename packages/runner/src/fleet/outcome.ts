import { InputError, type HostModel, type QemuProfile } from '@viommu/core';
import type { VmConfig } from '../input/vm-config.js';
import type { Composition } from '../scenario/compose.js';
import { runScenario } from '../scenario/engine.js';

/** What one host class answers for one VM shape: placed, or the reason it is not. */
export type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** QEMU's first line as it prints it (`qemu-system-x86_64: -device …: …`), or viommu's input error. */
      readonly reason: string;
      /** Where it failed: a QEMU `Stage`, or `input` when viommu cannot model the host or VM. */
      readonly stage: string;
      readonly errno?: string;
    };

/** One scenario of a fleet run: a shape on a projected host. */
export interface FleetJob {
  readonly shape: number;
  readonly host: HostModel;
}

/**
 * Runs each job through the scenario engine (a fresh scenario container each) and keeps only
 * what placement needs. An `InputError` (a host unit viommu cannot read, a vIOMMU of another
 * target) is that job's reason, so one bad host does not stop a fleet.
 */
export function runJobs(comp: Composition, vms: readonly VmConfig[], jobs: readonly FleetJob[], profile: QemuProfile): Outcome[] {
  return jobs.map(({ shape, host }) => {
    try {
      const v = runScenario(comp.scenario(host, profile), vms[shape]!, host, profile);
      if (v.ok) return { ok: true };
      const r = v.refusal!;
      return { ok: false, reason: r.printed, stage: r.stage, ...(r.errno ? { errno: r.errno } : {}) };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return { ok: false, reason: `viommu: ${e.message}`, stage: 'input' };
    }
  });
}
