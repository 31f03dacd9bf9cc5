import { Errno, type ErrnoName, strerror } from './errno.js';

/**
 * Where in QEMU's flow a refusal happened. The stage is part of every verdict so a user
 * can tell a property typo from a host incompatibility.
 */
export type Stage =
  | 'option-parse'
  | 'machine'
  | 'realize'
  | 'vfio-attach'
  | 'set-iommu-device'
  | 'machine-init-done'
  | 'runtime';

/**
 * A failure with the exact text QEMU prints (QEMU's `Error *`), the errno when the kernel
 * gave one, and the stage. `hint` is what QEMU prints on its own line(s) after the
 * message (`error_append_hint`); it is never part of `message`.
 *
 * A refusal is an expected outcome, not a bug: no stack is captured (`Error.stackTraceLimit`
 * is 0 while it is built), so `stack` is only the `QemuError: <message>` line and a refusal
 * costs no more than any other result. Other errors (real bugs) keep their stacks.
 */
export class QemuError extends Error {
  override readonly name = 'QemuError';
  constructor(
    message: string,
    readonly stage: Stage,
    readonly errno?: ErrnoName,
    readonly hint?: string,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }

  /** `error_setg_errno(errp, errno, fmt)`: `"<msg>: <strerror(errno)>"`. */
  static withErrno(message: string, errno: ErrnoName, stage: Stage, hint?: string): QemuError {
    return new QemuError(`${message}: ${strerror(errno)}`, stage, errno, hint);
  }

  /** `error_prepend(errp, prefix)`: the same error with `prefix` in front; stage may move on. */
  prepend(prefix: string, stage: Stage = this.stage): QemuError {
    return new QemuError(prefix + this.message, stage, this.errno, this.hint);
  }
}

/**
 * A simulated kernel call failed: the uAPI's `-1` with `errno` set. `out` is what the kernel
 * still wrote back into the argument before failing (e.g. `num_iovas` with
 * `IOMMU_IOAS_IOVA_RANGES`' `EMSGSIZE`), when it does. Like `QemuError`, an expected outcome:
 * built without a stack.
 */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly errnoValue: number;
  constructor(
    readonly errno: ErrnoName,
    readonly call: string,
    readonly reason?: string,
    readonly out?: unknown,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${call}: ${errno} (${strerror(errno)})${reason ? `: ${reason}` : ''}`);
    Error.stackTraceLimit = limit;
    this.errnoValue = Errno[errno];
  }
}

/**
 * Bad user input (a malformed option, a missing host, a broken file). `where` names the
 * input and position; the CLI prints `where: message` and exits 2.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
  }
}
