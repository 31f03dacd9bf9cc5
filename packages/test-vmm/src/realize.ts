import { findProfile, Trace, type MachineContext, type OptionPair, type ProfileId, type ViommuRealizeContext } from '@viommu/core';

/** Splits `a=b,c=d` into option pairs (QemuOpts: a bare key means `on`; no `,,` escapes). */
export function pairs(text: string): OptionPair[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? { key: kv, value: 'on' } : { key: kv.slice(0, i), value: kv.slice(i + 1) };
    });
}

/** The realize context of `-device <vIOMMU>,<options>` on `machine`, with a fresh trace. */
export function realizeContext(
  profile: ProfileId,
  machine: MachineContext,
  options = '',
  more: Pick<ViommuRealizeContext, 'fromMachine' | 'id'> = {},
): ViommuRealizeContext {
  return { profile: findProfile(profile)!, machine, options: pairs(options), trace: new Trace(), ...more };
}
