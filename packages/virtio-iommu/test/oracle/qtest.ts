import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A QEMU binary driven through the qtest protocol (`-qtest stdio`): QEMU's own answers are the
 * expected values of the differential tests. Stopped (`-S`), TCG, no default devices.
 */

const BASE_ARGS = ['-accel', 'tcg', '-S', '-display', 'none', '-nodefaults', '-qtest-log', '/dev/null'];

/** True when `binary` runs here (`--version`). */
export function haveQemu(binary: string): boolean {
  return spawnSync(binary, ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs QEMU with no qtest input and returns the refusal it printed on stderr: `where` is the
 * option QEMU blames (`-device <options>`, without the `qemu-system-<arch>: ` prefix), then the
 * message and its hint lines. Null when QEMU accepted the configuration.
 */
export function qemuError(binary: string, args: readonly string[]): { where: string; message: string; hint?: string } | null {
  const r = spawnSync(binary, [...BASE_ARGS, '-qtest', 'stdio', ...args], { input: '', encoding: 'utf8', timeout: 30000 });
  if (r.status === 0) return null;
  const prefix = `${binary.split('/').at(-1)}: `;
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const first = lines.findIndex((l) => l.startsWith(prefix));
  if (first < 0) return null;
  let text = lines[first]!.slice(prefix.length);
  let where = '';
  const blamed = args.find((a, i) => i > 0 && args[i - 1] === '-device' && text.startsWith(`-device ${a}: `));
  if (blamed !== undefined) {
    where = `-device ${blamed}`;
    text = text.slice(where.length + 2);
  }
  const hint = lines.slice(first + 1).join('\n');
  return hint ? { where, message: text, hint } : { where, message: text };
}

/** A running QEMU answering qtest commands (`readq 0x…` → `OK 0x…`). */
export class Qtest {
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string) => void)[] = [];

  private constructor(readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const w = this.#waiters.shift();
      if (w) w(line);
      else this.#lines.push(line);
    });
  }

  static start(binary: string, args: readonly string[]): Qtest {
    return new Qtest(spawn(binary, [...BASE_ARGS, '-qtest', 'stdio', ...args]));
  }

  /** Sends one command, returns the value of its `OK` answer (`''` for a bare `OK`). */
  async cmd(line: string): Promise<string> {
    this.proc.stdin.write(`${line}\n`);
    const answer = this.#lines.shift() ?? (await new Promise<string>((resolve) => this.#waiters.push(resolve)));
    if (!answer.startsWith('OK')) throw new Error(`qtest '${line}': ${answer}`);
    return answer.slice(3);
  }

  async read(width: 'b' | 'w' | 'l' | 'q', addr: bigint): Promise<bigint> {
    return BigInt(await this.cmd(`read${width} 0x${addr.toString(16)}`));
  }

  async write(width: 'b' | 'w' | 'l' | 'q', addr: bigint, value: bigint): Promise<void> {
    await this.cmd(`write${width} 0x${addr.toString(16)} 0x${value.toString(16)}`);
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}
