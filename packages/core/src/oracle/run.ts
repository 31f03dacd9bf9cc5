import { type ChildProcess, spawn } from 'node:child_process';
import type { QemuBinary } from './binaries.js';
import { OracleError } from './errors.js';
import { type QtestRead, type QtestWrite, formatQtestCommand, parseQtestAnswer } from './qtest.js';
import { qemuErrorLine, stripQemuPrefix } from './stderr.js';

/**
 * What every oracle run adds after the caller's arguments: no accelerator but TCG, stopped
 * CPUs, the qtest protocol on stdin/stdout with its log off, no display, no default devices.
 */
export const QTEST_ARGS: readonly string[] = [
  '-accel', 'tcg', '-S', '-qtest', 'stdio', '-qtest-log', 'none', '-display', 'none', '-nodefaults',
];

/** One configuration: the machine and device arguments, the registers to write, then to read. */
export interface QtestRun {
  readonly binary: QemuBinary;
  /** `-machine …`, `-device …`, `-global …`: everything but {@link QTEST_ARGS}. */
  readonly args: readonly string[];
  /** Written in order before the reads (each answered `OK`). */
  readonly writes?: readonly QtestWrite[];
  readonly reads: readonly QtestRead[];
  /** Milliseconds before the run is abandoned (default 20 000). */
  readonly timeoutMs?: number;
}

/** QEMU started and answered every read; `values[i]` answers `reads[i]`. */
export interface QtestValues {
  readonly values: bigint[];
  /** Whatever QEMU printed on stderr (warnings), as printed. */
  readonly stderr: string;
}

/** QEMU refused the configuration at start-up. */
export interface QtestRefusal {
  /** The error line exactly as printed: `qemu-system-x86_64: -device …: Property 'intel-iommu.nosuchprop' not found`. */
  readonly error: string;
  /** QEMU's message, the error line without program and option location. */
  readonly message: string;
  /** All of stderr, hints and warnings included. */
  readonly stderr: string;
  readonly exitCode: number | null;
}

export type QtestResult = QtestValues | QtestRefusal;

export function isRefusal(result: QtestResult): result is QtestRefusal {
  return 'error' in result;
}

/**
 * QEMUs still running. qtest never exits on its own (not at the end of its input either), so
 * whatever is left when Node exits is killed rather than left behind.
 */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts QEMU with `run.args` under qtest, performs `run.writes` then `run.reads`, and kills
 * it once every answer is in. A configuration QEMU rejects comes back as a
 * {@link QtestRefusal}; a missing binary, a timeout or a broken answer rejects with an
 * {@link OracleError}.
 */
export function runQtest(run: QtestRun): Promise<QtestResult> {
  const { binary, reads, writes = [], timeoutMs = 20_000 } = run;
  const argv = [...binary.args, ...run.args, ...QTEST_ARGS];
  return new Promise((resolve, reject) => {
    // `endianness` (answered `OK little|big`) shows QEMU got past start-up when nothing else does.
    const commands = [...writes.map(formatQtestCommand), ...reads.map(formatQtestCommand)];
    if (commands.length === 0) commands.push('endianness');
    const child = spawn(binary.path, argv, { env: { ...process.env, ...binary.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const values: bigint[] = [];
    let answered = 0;
    let pending = '';
    let stderr = '';
    let failure: OracleError | undefined;
    const stop = (why?: OracleError) => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => stop(new OracleError(`${binary.path} ${run.args.join(' ')}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new OracleError(`${binary.path}: ${e.code === 'ENOENT' ? 'not found' : e.message}`));
    });
    child.stdin.on('error', () => undefined); // EPIPE when QEMU exits before reading
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      pending += d;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (failure || answered === commands.length) continue;
        try {
          const read = answered >= writes.length ? reads[answered - writes.length] : undefined;
          if (read) values.push(parseQtestAnswer(line, read));
          else if (!(answered < writes.length ? /^OK$/ : /^OK (little|big)$/).test(line)) {
            throw new OracleError(`qtest: unexpected answer '${line}' to '${commands[answered]}'`);
          }
        } catch (e) {
          stop(e as OracleError);
          continue;
        }
        if (++answered === commands.length) stop();
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      if (failure) return reject(failure);
      if (answered === commands.length) return resolve({ values, stderr });
      const error = qemuErrorLine(stderr);
      if (!error) {
        return reject(new OracleError(`${binary.path} exited (${code ?? 'signal'}) before answering and printed no error: ${stderr.trim() || 'nothing'}`));
      }
      resolve({ error, message: stripQemuPrefix(error, argv), stderr, exitCode: code });
    });
    child.stdin.end(commands.map((c) => `${c}\n`).join(''));
  });
}

/**
 * Runs `runs` with at most `concurrency` QEMUs at a time (default 2, one per core of a small
 * CI machine); results come back in the order of `runs`. The first {@link OracleError} stops
 * new runs from starting and rejects once the running ones are done.
 */
export async function runQtestAll(runs: readonly QtestRun[], concurrency = 2): Promise<QtestResult[]> {
  return mapBounded(runs, concurrency, runQtest);
}

/** `Promise.all(items.map(fn))` with at most `limit` calls in flight. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new OracleError(`concurrency must be a positive integer, not ${limit}`);
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}
