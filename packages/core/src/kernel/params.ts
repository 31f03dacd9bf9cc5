import type { HostKernelModel } from './host-model.js';

/**
 * A `bool` module parameter of the host kernel (`param_set_bool` → `kstrtobool`): the first
 * character decides — `y`/`Y`/`t`/`T`/`1` true, `n`/`N`/`f`/`F`/`0` false, `on`/`of(f)` as
 * written; absent or unparseable (the kernel would refuse to set it): the default.
 */
export function kernelBoolParam(kernel: HostKernelModel, name: string, dflt = false): boolean {
  const v = kernel.params?.[name];
  if (v === undefined) return dflt;
  if (/^[yYtT1]/.test(v) || /^[oO][nN]/.test(v)) return true;
  if (/^[nNfF0]/.test(v) || /^[oO][fF]/.test(v)) return false;
  return dflt;
}
