import { loadHost } from '../hosts/load.js';
import { parseQemuArgs } from '../input/qemu-args.js';
import { loadScenarioFile } from '../input/scenario-file.js';
import { Composition } from '../scenario/compose.js';
import { runScenario } from '../scenario/engine.js';
import { formatVerdict, verdictToJson, type Verdict } from '../scenario/verdict.js';
import { EXIT, type CommandIo } from './command.js';
import { profileOf } from './profile-option.js';
import { coloursFor } from '../progress/colour.js';

/** Why a verdict is not the expected one, or undefined. */
function unmet(expect: { ok: boolean; message?: string } | undefined, v: Verdict): string | undefined {
  if (!expect) return undefined;
  if (expect.ok !== v.ok) return `expected QEMU to ${expect.ok ? 'start' : 'refuse'}`;
  if (expect.message !== undefined && v.refusal && v.refusal.message !== expect.message) return `expected the message '${expect.message}'`;
  return undefined;
}

/**
 * `viommu check --scenario FILE`: every scenario of the file on its host and profile. Exit 0
 * when each meets its `expect` (or starts, without one), 1 otherwise. `--json`: an array of
 * `{ name, verdict, unmet? }`, each verdict as `schemas/verdict.schema.json`.
 */
export async function checkScenarioFile(path: string, io: CommandIo, opts: { json: boolean; trace: boolean }): Promise<number> {
  const specs = loadScenarioFile(path);
  const comp = await Composition.create();
  const runs: { name: string; verdict: Verdict; why: string | undefined; expected: boolean }[] = [];
  for (const s of specs) {
    const host = await loadHost(s.host);
    const profile = profileOf(s.qemu);
    const verdict = runScenario(comp.scenario(host, profile), parseQemuArgs(s.argv, s.name), host, profile);
    const why = s.expect ? unmet(s.expect, verdict) : verdict.ok ? undefined : 'QEMU refuses';
    runs.push({ name: s.name, verdict, why, expected: s.expect !== undefined });
  }
  const c = coloursFor(process.stdout);
  if (opts.json) {
    io.out(JSON.stringify(runs.map((r) => ({ name: r.name, verdict: verdictToJson(r.verdict), ...(r.why && r.expected ? { unmet: r.why } : {}) })), null, 2));
  } else {
    io.out(
      runs
        .map((r) => [`== ${r.name}${r.expected ? (r.why ? `: ${c.red('NOT AS EXPECTED')} (${r.why})` : ': as expected') : ''}`, formatVerdict(r.verdict, { trace: opts.trace, colours: c })].join('\n'))
        .join('\n\n'),
    );
  }
  return runs.some((r) => r.why) ? EXIT.refused : EXIT.ok;
}
