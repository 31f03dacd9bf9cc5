import { hex, type HostModel, type QemuProfile } from '@viommu/core';
import type { VmConfig } from '../input/vm-config.js';
import type { Composition } from '../scenario/compose.js';
import { runScenario } from '../scenario/engine.js';
import type { Verdict, ViommuReport } from '../scenario/verdict.js';

/** One reason a live migration from source to destination cannot work. */
export type MigrationProblem =
  | { readonly kind: 'source-refused'; readonly printed: string }
  | { readonly kind: 'destination-refused'; readonly printed: string; readonly stage: string; readonly errno?: string }
  | { readonly kind: 'viommus-differ'; readonly source: readonly string[]; readonly destination: readonly string[] }
  | { readonly kind: 'register-differs'; readonly viommu: string; readonly register: string; readonly source: bigint; readonly destination: bigint }
  | { readonly kind: 'flags-differ'; readonly viommu: string; readonly source: bigint; readonly destination: bigint };

/** Whether a VM can move live from one host to another, and each reason it cannot. */
export interface MigrationResult {
  readonly ok: boolean;
  readonly source: Verdict;
  readonly destination: Verdict;
  readonly problems: readonly MigrationProblem[];
}

const nameOf = (v: ViommuReport) => `${v.typeName}${v.id ? `#${v.id}` : ''}`;

/**
 * Runs the VM on both hosts through the scenario engine. A live migration needs the VM to
 * start on the source, the destination to pass every host check QEMU makes on incoming (the
 * same realize path), and identical guest-visible vIOMMU state: the same vIOMMUs, each with
 * equal registers and `get_viommu_flags`, since the migration stream carries register state
 * and the guest never re-reads capabilities. `toProfile` is the destination's QEMU (default:
 * the source's).
 */
export function checkMigration(
  comp: Composition,
  vm: VmConfig,
  from: HostModel,
  to: HostModel,
  profile: QemuProfile,
  toProfile: QemuProfile = profile,
): MigrationResult {
  const source = runScenario(comp.scenario(from, profile), vm, from, profile);
  const destination = runScenario(comp.scenario(to, toProfile), vm, to, toProfile);
  const problems: MigrationProblem[] = [];
  if (source.refusal) problems.push({ kind: 'source-refused', printed: source.refusal.printed });
  else {
    if (destination.refusal) {
      const r = destination.refusal;
      problems.push({ kind: 'destination-refused', printed: r.printed, stage: r.stage, ...(r.errno ? { errno: r.errno } : {}) });
    }
    const src = source.viommus.map(nameOf);
    const dst = destination.viommus.map(nameOf);
    if (!destination.refusal && src.join('\n') !== dst.join('\n')) problems.push({ kind: 'viommus-differ', source: src, destination: dst });
    source.viommus.forEach((s, i) => {
      const d = destination.viommus[i];
      if (!d || nameOf(d) !== nameOf(s)) return;
      for (const register of [...new Set([...Object.keys(s.registers), ...Object.keys(d.registers)])]) {
        const a = s.registers[register] ?? 0n;
        const b = d.registers[register] ?? 0n;
        if (a !== b) problems.push({ kind: 'register-differs', viommu: nameOf(s), register, source: a, destination: b });
      }
      if (s.flags !== d.flags) problems.push({ kind: 'flags-differ', viommu: nameOf(s), source: s.flags, destination: d.flags });
    });
  }
  return { ok: problems.length === 0, source, destination, problems };
}

/** One line per problem, for people. */
export function describeProblem(p: MigrationProblem, from: string, to: string): string {
  switch (p.kind) {
    case 'source-refused':
      return `the VM does not start on ${from}: ${p.printed}`;
    case 'destination-refused':
      return `${to} fails a check ${from} passes (${p.stage}${p.errno ? `, ${p.errno}` : ''}): ${p.printed}`;
    case 'viommus-differ':
      return `the vIOMMUs differ: ${p.source.join(', ') || 'none'} on ${from}, ${p.destination.join(', ') || 'none'} on ${to}`;
    case 'register-differs':
      return `${p.viommu} register ${p.register} differs: ${hex(p.source)} on ${from}, ${hex(p.destination)} on ${to}`;
    case 'flags-differ':
      return `${p.viommu} vIOMMU flags differ: ${hex(p.source)} on ${from}, ${hex(p.destination)} on ${to}`;
  }
}

/** The result as JSON (bigints as `0x…`). */
export function migrationToJson(r: MigrationResult): unknown {
  return {
    ok: r.ok,
    from: r.source.host,
    to: r.destination.host,
    profile: r.source.profile,
    ...(r.destination.profile !== r.source.profile ? { toProfile: r.destination.profile } : {}),
    problems: r.problems.map((p) => {
      const out: Record<string, unknown> = { ...p, message: describeProblem(p, r.source.host, r.destination.host) };
      for (const k of ['source', 'destination'] as const) if (typeof out[k] === 'bigint') out[k] = hex(out[k] as bigint);
      return out;
    }),
    viommus: r.source.viommus.map((v) => ({
      typeName: v.typeName,
      ...(v.id ? { id: v.id } : {}),
      flags: hex(v.flags),
      registers: Object.fromEntries(Object.entries(v.registers).map(([k, x]) => [k, hex(x)])),
    })),
  };
}

/** The answer for people: the verdict line, then each problem. */
export function formatMigration(r: MigrationResult): string {
  const from = r.source.host;
  const to = r.destination.host;
  const profiles = r.destination.profile === r.source.profile ? `QEMU ${r.source.profile}` : `QEMU ${r.source.profile} → ${r.destination.profile}`;
  if (r.ok) {
    const n = r.source.viommus.length;
    return `MIGRATABLE: ${from} → ${to} (${profiles}): ${n} vIOMMU${n === 1 ? '' : 's'} with identical registers and flags; ${to} passes every check ${from} passes`;
  }
  return [`NOT MIGRATABLE: ${from} → ${to} (${profiles})`, ...r.problems.map((p) => `  ${describeProblem(p, from, to)}`)].join('\n');
}
