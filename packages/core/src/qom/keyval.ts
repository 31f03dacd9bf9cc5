import { InputError } from '../errors.js';

/** One `key=value` of an option string, in the order given. */
export interface OptionPair {
  readonly key: string;
  readonly value: string;
}

/** A parsed `-device`/`-object`/`-machine` option string. */
export interface ParsedOption {
  /** The implied first key (`driver` for `-device`, `qom-type` for `-object`, `type` for `-machine`), if present. */
  readonly implied?: string;
  /** Every pair in order, duplicates kept (the last one wins when applied). */
  readonly pairs: readonly OptionPair[];
}

/** Size limit for one option string; QEMU has none, viommu refuses absurd input clearly. */
export const MAX_OPTION_LENGTH = 64 * 1024;

/**
 * Splits a QemuOpts option string (`intel-iommu,aw-bits=48,caching-mode=on`) as QEMU's
 * `qemu_opts_parse` does: `,,` is a literal comma; the first element without `=` is the
 * implied key's value; a later `key` without `=` means `key=on`.
 * @throws InputError for an empty key or an over-long string.
 */
export function parseOptionString(text: string, impliedKey: string | null, where: string): ParsedOption {
  if (text.length > MAX_OPTION_LENGTH) {
    throw new InputError(`option string of ${text.length} characters is longer than ${MAX_OPTION_LENGTH}`, where);
  }
  let implied: string | undefined;
  const pairs: OptionPair[] = [];
  for (let i = 0, from = 0; ; i++) {
    // the element ends at the first comma that is not part of a ",," pair
    let comma = text.indexOf(',', from);
    while (comma >= 0 && text.charCodeAt(comma + 1) === 0x2c) comma = text.indexOf(',', comma + 2);
    const last = comma < 0;
    const raw = text.slice(from, last ? text.length : comma);
    const part = raw.includes(',,') ? raw.replaceAll(',,', ',') : raw;
    from = comma + 1;
    const eq = part.indexOf('=');
    if (i === 0 && impliedKey !== null && eq < 0) implied = part;
    else if (!(part === '' && last && i > 0)) {
      // (an empty last element is a trailing comma)
      const key = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? 'on' : part.slice(eq + 1);
      if (key === '') throw new InputError(`Invalid parameter '' in '${text}'`, where);
      if (impliedKey !== null && key === impliedKey && implied === undefined) implied = value;
      else pairs.push({ key, value });
    }
    if (last) break;
  }
  return { implied, pairs };
}
