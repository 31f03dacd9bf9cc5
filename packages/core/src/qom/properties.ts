import { QemuError } from '../errors.js';
import type { OptionPair } from './keyval.js';
import { qdictOrderOfUnique } from './qdict.js';

/** QOM property types viommu models (`qdev_prop_*`). */
export type PropertyType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int32'
  | 'string'
  | 'OnOffAuto'
  | { readonly enum: readonly string[] };

/** A value of a property: bool → boolean, ≤32-bit ints → number, uint64 → bigint, others → string. */
export type PropertyValue = boolean | number | bigint | string;

/** One QOM property declaration (`DEFINE_PROP_*`). */
export interface PropertyDecl {
  readonly name: string;
  readonly type: PropertyType;
  /** The class default (`DEFINE_PROP_*`'s default), before machine compat and globals. */
  readonly default: PropertyValue;
  /** QEMU's C struct field, for readers (`aw_bits`). */
  readonly field?: string;
  readonly description?: string;
}

/** Property values by name, fully resolved. */
export type PropertyValues = Readonly<Record<string, PropertyValue>>;

const RANGES: Record<string, [bigint, bigint, string]> = {
  uint8: [0n, 0xffn, 'uint8_t'],
  uint16: [0n, 0xffffn, 'uint16_t'],
  uint32: [0n, 0xffffffffn, 'uint32_t'],
  uint64: [0n, (1n << 64n) - 1n, 'uint64_t'],
  int32: [-(1n << 31n), (1n << 31n) - 1n, 'int32_t'],
};
const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
/** A plain decimal that `parseQemuInteger` reads as itself and that fits a double exactly. */
const SMALL_DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;
const TRUE_WORDS: readonly string[] = ['on', 'yes', 'true'];
const FALSE_WORDS: readonly string[] = ['off', 'no', 'false'];
const ON_OFF_AUTO: readonly string[] = ['on', 'off', 'auto'];

/**
 * `qemu_strtou64` / `qemu_strtoi64` with base 0 (decimal, `0x` hex, leading-`0` octal,
 * optional sign; a negative unsigned value wraps as `strtoull` does). Null when not a number.
 */
export function parseQemuInteger(text: string, signed: boolean): bigint | null {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return null;
  const digits = m[2]!;
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits.startsWith('0')) v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  if (signed) {
    if (m[1] === '-') v = -v;
    if (v > I64_MAX || v < I64_MIN) return null;
    return v;
  }
  if (v > U64_MAX) return null;
  if (m[1] === '-') v = v === 0n ? 0n : (1n << 64n) - v;
  return v;
}

/**
 * Parses one value as QEMU's keyval input visitor does, with QEMU's exact messages:
 * `Parameter 'x' expects 'on' or 'off'`, `Parameter 'x' expects integer`,
 * `Parameter 'x' expects uint8_t`, `Parameter 'x' does not accept value 'y'`. With `visitor`
 * `'string'` (`-global`, `object_property_parse`'s string input visitor) a non-number reads
 * `Parameter 'x' expects uint64` (`int64` for signed types) instead of `expects integer`.
 * @throws QemuError (stage `option-parse`).
 */
export function parsePropertyValue(decl: PropertyDecl, text: string, visitor: 'keyval' | 'string' = 'keyval'): PropertyValue {
  const { name, type } = decl;
  const fail = (msg: string) => new QemuError(msg, 'option-parse');
  if (type === 'bool') {
    if (TRUE_WORDS.includes(text)) return true;
    if (FALSE_WORDS.includes(text)) return false;
    throw fail(`Parameter '${name}' expects 'on' or 'off'`);
  }
  if (type === 'string') return text;
  if (type === 'OnOffAuto' || typeof type === 'object') {
    const allowed = type === 'OnOffAuto' ? ON_OFF_AUTO : type.enum;
    if (allowed.includes(text)) return text;
    throw fail(`Parameter '${name}' does not accept value '${text}'`);
  }
  const [min, max, cname] = RANGES[type]!;
  if (type !== 'uint64' && SMALL_DECIMAL.test(text)) {
    const n = Number(text);
    if (n >= Number(min) && n <= Number(max)) return n;
  }
  const v = parseQemuInteger(text, type === 'int32');
  if (v === null) throw fail(`Parameter '${name}' expects ${visitor === 'keyval' ? 'integer' : type === 'int32' ? 'int64' : 'uint64'}`);
  if (v < min || v > max) throw fail(`Parameter '${name}' expects ${cname}`);
  return type === 'uint64' ? v : Number(v);
}

/** A declaration list indexed by name, with its class defaults. */
interface DeclIndex {
  readonly byName: ReadonlyMap<string, PropertyDecl>;
  readonly defaults: Readonly<Record<string, PropertyValue>>;
}

/** Indexes of frozen declaration lists (plugins declare them once per profile): built once. */
const INDEXES = new WeakMap<readonly PropertyDecl[], DeclIndex>();

function indexOf(decls: readonly PropertyDecl[]): DeclIndex {
  const cached = INDEXES.get(decls);
  if (cached) return cached;
  const defaults: Record<string, PropertyValue> = {};
  for (const d of decls) defaults[d.name] = d.default;
  const index = { byName: new Map(decls.map((d) => [d.name, d])), defaults };
  if (Object.isFrozen(decls) && decls.every((d) => Object.isFrozen(d))) INDEXES.set(decls, index);
  return index;
}

/**
 * Resolves a device's properties in QEMU's order: class defaults, then machine-type compat
 * properties, then `-global` values, then the option string (last duplicate wins) in QDict order
 * (`qdictOrder`), so the first bad option reported is QEMU's. A frozen `decls` (and frozen
 * declarations in it) is indexed once, so declare them once per profile.
 * @param typeName QOM type (for `Property '<type>.<name>' not found`)
 * @param ignore keys that are not QOM properties of this type but are valid options
 *   (`id`, and for PCI devices `bus`/`addr`)
 * @returns one own property per declaration (nothing else)
 * @throws QemuError with QEMU's message for the first bad value or unknown property.
 */
export function resolveProperties(
  typeName: string,
  decls: readonly PropertyDecl[],
  layers: {
    compat?: Readonly<Record<string, string>>;
    globals?: Readonly<Record<string, string>>;
    given?: readonly OptionPair[];
  },
  ignore: readonly string[] = ['id'],
): Record<string, PropertyValue> {
  const { byName, defaults } = indexOf(decls);
  const out: Record<string, PropertyValue> = { ...defaults };
  const apply = (key: string, value: string) => {
    const d = byName.get(key);
    if (!d) throw new QemuError(`Property '${typeName}.${key}' not found`, 'option-parse');
    out[d.name] = parsePropertyValue(d, value);
  };
  if (layers.compat) for (const k in layers.compat) if (Object.hasOwn(layers.compat, k) && byName.has(k)) apply(k, layers.compat[k]!);
  if (layers.globals) for (const k in layers.globals) if (Object.hasOwn(layers.globals, k)) apply(k, layers.globals[k]!);
  const given = layers.given ?? [];
  if (given.length === 1 && !ignore.includes(given[0]!.key)) apply(given[0]!.key, given[0]!.value);
  else if (given.length > 1) {
    const keys: string[] = [];
    const last = new Map<string, string>();
    for (const p of given) {
      if (ignore.includes(p.key)) continue;
      if (!last.has(p.key)) keys.push(p.key);
      last.set(p.key, p.value);
    }
    for (const k of qdictOrderOfUnique(keys)) apply(k, last.get(k)!);
  }
  return out;
}

/**
 * `qdev_prop_set_globals` for one device type: each `-global <type>.<prop>=<value>` must name a
 * property and parse with the string visitor, else QEMU refuses the device with
 * `can't apply global <type>.<prop>=<value>: <reason>` (stage `machine`).
 * @throws QemuError for the first bad global.
 */
export function checkGlobalProperties(typeName: string, decls: readonly PropertyDecl[], globals: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(globals)) {
    const d = decls.find((x) => x.name === k);
    try {
      if (!d) throw new QemuError(`Property '${typeName}.${k}' not found`, 'option-parse');
      parsePropertyValue(d, v, 'string');
    } catch (e) {
      if (e instanceof QemuError) throw e.prepend(`can't apply global ${typeName}.${k}=${v}: `, 'machine');
      throw e;
    }
  }
}
