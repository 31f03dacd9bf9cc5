import { KernelError } from '../errors.js';
import type { Trace, TraceValue } from '../trace.js';
import type { IoctlMap, IoctlName, KernelUapi } from './kernel.js';

/**
 * Wraps a kernel so that every call is written to the trace with its arguments and its
 * result or errno. The VMM side always talks to the kernel through this wrapper.
 */
export function tracedKernel(kernel: KernelUapi, trace: Trace): KernelUapi {
  function run<T>(name: string, args: Record<string, TraceValue>, fn: () => T): T {
    try {
      const out = fn();
      trace.call(name, args, (out ?? null) as TraceValue);
      return out;
    } catch (e) {
      if (e instanceof KernelError) trace.fail(name, args, e.errno);
      throw e;
    }
  }
  return {
    open: (path) => run('open', { path }, () => kernel.open(path)),
    close: (fd) => {
      trace.call('close', { fd }, null);
      kernel.close(fd);
    },
    ioctl: <K extends IoctlName>(fd: number, request: K, arg: IoctlMap[K][0]): IoctlMap[K][1] =>
      run(request, { fd, ...argsOf(arg) }, () => kernel.ioctl(fd, request, arg)),
    readlink: (path) => run('readlink', { path }, () => kernel.readlink(path)),
    readdir: (path) => run('readdir', { path }, () => kernel.readdir(path)),
    readFile: (path) => run('read', { path }, () => kernel.readFile(path)),
  };
}

function argsOf(arg: unknown): Record<string, TraceValue> {
  if (arg === undefined) return {};
  if (typeof arg === 'object' && arg !== null) return arg as Record<string, TraceValue>;
  return { arg: arg as TraceValue };
}
