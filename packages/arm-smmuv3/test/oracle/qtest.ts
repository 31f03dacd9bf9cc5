import { spawn } from 'node:child_process';
import type { Outcome } from './cases.js';

/** Where a QEMU profile's `qemu-system-aarch64` is and how to run it. */
export interface Aarch64Binary {
  readonly path: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
}

/**
 * Runs `qemu-system-aarch64 <args> -accel tcg -S -qtest stdio -display none -nodefaults`, sends
 * the reads, and resolves with the values (`OK 0x…`) — then stops that QEMU, which would
 * otherwise wait on its qtest chardev — or with QEMU's start-up error without the
 * `qemu-system-aarch64: [-device …: ]` prefix; following lines are the hint.
 */
export function runQtest(bin: Aarch64Binary, args: readonly string[], reads: readonly { op: 'readl'; addr: bigint }[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin.path, [...(bin.extraArgs ?? []), ...args, '-accel', 'tcg', '-S', '-qtest', 'stdio', '-display', 'none', '-nodefaults'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...bin.env },
    });
    let out = '';
    let err = '';
    const values = () => [...out.matchAll(/^OK (0x[0-9a-f]+)$/gm)].map((m) => BigInt(m[1]!));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (values().length === reads.length) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const v = values();
      if (v.length === reads.length) return resolve({ registers: v });
      const lines = err.split('\n').filter((l) => l && !l.startsWith('[') && !l.includes('GLib') && !l.includes(': warning: ') && !l.startsWith('warning: '));
      const first = (lines[0] ?? `exit ${status}`).replace(/^qemu-system-aarch64: (?:-device [^:]*: )?/, '');
      const hint = lines.slice(1).join('\n');
      resolve(hint ? { error: first, hint } : { error: first });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(reads.map((r) => `${r.op} 0x${r.addr.toString(16)}\n`).join(''));
  });
}
