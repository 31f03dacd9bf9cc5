import { InputError } from '@viommu/core';
import { readFileSync } from 'node:fs';
import { parseQemuArgs, splitShellWords } from './qemu-args.js';
import type { VmConfig } from './vm-config.js';

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
}

/**
 * The VM configuration of a command: QEMU arguments after `--`, a file holding a QEMU command
 * line (`--cmdline`), or a libvirt domain XML (`--libvirt`; its parser loads only then) —
 * exactly one of them.
 * @throws InputError when none or several are given, or the input is malformed.
 */
export async function loadVm(src: { rest?: readonly string[]; cmdline?: string; libvirt?: string }, where: string): Promise<VmConfig> {
  const given = [src.rest !== undefined, src.cmdline !== undefined, src.libvirt !== undefined].filter(Boolean).length;
  if (given === 0) throw new InputError('no VM given: pass QEMU arguments after --, or --cmdline FILE, or --libvirt FILE', where);
  if (given > 1) throw new InputError('give only one of: QEMU arguments after --, --cmdline FILE, --libvirt FILE', where);
  if (src.libvirt !== undefined) {
    const xml = readInput(src.libvirt, 'libvirt domain XML');
    return (await import('./libvirt.js')).parseLibvirtDomain(xml, src.libvirt);
  }
  if (src.cmdline !== undefined) return parseQemuArgs(splitShellWords(readInput(src.cmdline, 'QEMU command line'), src.cmdline), src.cmdline);
  if (src.rest!.length === 0) throw new InputError('no QEMU arguments after --', where);
  return parseQemuArgs(src.rest!);
}
