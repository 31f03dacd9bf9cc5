import type { QemuProfile } from '@viommu/core';
import { loadHost } from '../hosts/load.js';
import { loadVm } from '../input/load-vm.js';
import { compositionFor } from '../plugins/needs.js';
import { coloursFor } from '../progress/colour.js';
import { runScenario } from '../scenario/engine.js';
import { formatVerdict, verdictToJson } from '../scenario/verdict.js';
import { EXIT, type CommandIo } from './command.js';

/**
 * `viommu check --host H`: one VM (QEMU arguments, `--cmdline` or `--libvirt`) on one host,
 * composed with only the plugin packages they need. Exit 0 when QEMU starts, 1 when it refuses.
 */
export async function checkOne(
  hostSpec: string,
  vmSource: { rest?: readonly string[]; cmdline?: string; libvirt?: string },
  profile: QemuProfile,
  io: CommandIo,
  opts: { json: boolean; trace: boolean },
): Promise<number> {
  const vm = await loadVm(vmSource, 'check');
  const host = await loadHost(hostSpec);
  const verdict = runScenario((await compositionFor(vm, [host])).scenario(host, profile), vm, host, profile);
  if (opts.json) io.out(JSON.stringify(verdictToJson(verdict), null, 2));
  else io.out(formatVerdict(verdict, { trace: opts.trace, colours: coloursFor(process.stdout) }));
  return verdict.ok ? EXIT.ok : EXIT.refused;
}
