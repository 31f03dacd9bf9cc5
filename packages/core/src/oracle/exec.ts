import { spawn } from 'node:child_process';
import { OracleError } from './errors.js';

/** What a finished command left behind. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion. The seam through which the oracle touches apt, dpkg and
 * ldd, so the install logic can be tested without them. A command that cannot start
 * (ENOENT) rejects with an {@link OracleError}; a non-zero exit resolves with its code.
 */
export type Exec = (
  command: string,
  args: readonly string[],
  options?: { readonly cwd?: string; readonly env?: Readonly<Record<string, string>> },
) => Promise<ExecResult>;

/** {@link Exec} on this machine. */
export const execFile: Exec = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new OracleError(`${command}: ${e.code === 'ENOENT' ? 'not found' : e.message}`)),
    );
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });

/**
 * The line that says why apt (or dpkg) failed: its first `E:`/`W:` line (`W: Failed to fetch
 * … Could not resolve host`), else the last line of its output.
 */
export function failureLine(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim());
  return lines.find((l) => /^[EW]: /.test(l)) ?? lines.at(-1) ?? '';
}
