import { hostsOf, type FleetPlan } from './plan.js';

/** The plan as JSON: every shape with the hosts that take it and the refused hosts grouped by QEMU's reason. */
export function fleetToJson(plan: FleetPlan): unknown {
  return {
    profile: plan.profile,
    hosts: plan.hostIds.length,
    classes: plan.classes.length,
    scenarios: plan.scenarios,
    placements: plan.placements.map((p) => ({
      shape: p.shape,
      accepted: hostsOf(plan, p.accepted),
      refused: p.refused.map((g) => ({
        reason: g.outcome.reason,
        stage: g.outcome.stage,
        ...(g.outcome.errno ? { errno: g.outcome.errno } : {}),
        hosts: hostsOf(plan, g.classes),
      })),
    })),
  };
}

/** At most `n` ids, then how many more. */
function some(ids: readonly string[], n: number): string {
  return ids.length <= n ? ids.join(', ') : `${ids.slice(0, n).join(', ')}, … +${ids.length - n}`;
}

/** The plan for people: per shape the placed count and a few hosts, then each reason with its count and a few hosts. */
export function formatFleet(plan: FleetPlan, opts: { sample?: number } = {}): string {
  const n = opts.sample ?? 4;
  const total = plan.hostIds.length;
  const width = Math.max(5, ...plan.placements.map((p) => p.shape.length));
  const col = Math.max(6, String(total).length * 2 + 1);
  const lines = [
    `profile ${plan.profile}: ${total} hosts in ${plan.classes.length} classes, ${plan.placements.length} shapes, ${plan.scenarios} scenarios run`,
    `${'shape'.padEnd(width)}  ${'placed'.padStart(col)}  hosts`,
  ];
  for (const p of plan.placements) {
    const placed = `${p.acceptedCount}/${total}`.padStart(col);
    lines.push(`${p.shape.padEnd(width)}  ${placed}  ${p.acceptedCount ? some(hostsOf(plan, p.accepted), n) : '-'}`);
    for (const g of p.refused) lines.push(`${''.padEnd(width)}  ${String(g.count).padStart(col)}  refused: ${g.outcome.reason} (${some(hostsOf(plan, g.classes), n)})`);
  }
  return lines.join('\n');
}
