import { hex } from './bits.js';
import type { ErrnoName } from './errno.js';

/** A value a trace can hold: JSON plus bigint (printed as `0x…`). */
export type TraceValue =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | readonly TraceValue[]
  | { readonly [k: string]: TraceValue };

/**
 * One line of a negotiation trace.
 * - `call`: a uAPI call (ioctl) the VMM side made into the kernel, with its arguments
 *   and either its result or the errno it failed with.
 * - `step`: a decision or event on the VMM side (QEMU function name in `name`).
 */
export interface TraceEntry {
  readonly seq: number;
  readonly kind: 'call' | 'step';
  readonly name: string;
  readonly args?: Readonly<Record<string, TraceValue>>;
  readonly result?: TraceValue;
  readonly errno?: ErrnoName;
  readonly note?: string;
}

/** Deterministic record of every negotiation step and uAPI call (no clocks, no random). */
export class Trace {
  readonly #entries: TraceEntry[] = [];

  get entries(): readonly TraceEntry[] {
    return this.#entries;
  }

  /** Records a VMM-side step, e.g. `vtd_check_hiod`. */
  step(name: string, args?: Record<string, TraceValue>, note?: string): void {
    this.#entries.push({ seq: this.#entries.length + 1, kind: 'step', name, args, note });
  }

  /** Records a successful uAPI call. */
  call(name: string, args: Record<string, TraceValue>, result: TraceValue): void {
    this.#entries.push({ seq: this.#entries.length + 1, kind: 'call', name, args, result });
  }

  /** Records a failed uAPI call. */
  fail(name: string, args: Record<string, TraceValue>, errno: ErrnoName): void {
    this.#entries.push({ seq: this.#entries.length + 1, kind: 'call', name, args, errno });
  }

  /** Names of the uAPI calls in order, e.g. `['IOMMU_IOAS_ALLOC', 'IOMMU_HWPT_ALLOC']`. */
  calls(): string[] {
    return this.#entries.filter((e) => e.kind === 'call').map((e) => e.name);
  }

  /** Plain JSON (bigints as `0x…` strings, `undefined` dropped). */
  toJSON(): unknown[] {
    return this.#entries.map((e) => toJsonValue(e as unknown as TraceValue));
  }

  /** Human text, one line per entry. */
  format(): string {
    return this.#entries.map(formatEntry).join('\n');
  }
}

/** Converts a trace value to plain JSON: bigint → `0x…`, undefined fields dropped. */
export function toJsonValue(v: TraceValue): unknown {
  if (typeof v === 'bigint') return hex(v);
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x as TraceValue));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonValue(x as TraceValue);
    return out;
  }
  return v;
}

function formatValue(v: TraceValue): string {
  if (typeof v === 'bigint') return hex(v);
  if (typeof v === 'string') return /^[\x20-\x7e]*$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(toJsonValue(v));
}

function formatEntry(e: TraceEntry): string {
  const args = e.args
    ? Object.entries(e.args)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${formatValue(v)}`)
        .join(' ')
    : '';
  const head = `${String(e.seq).padStart(3)} ${e.kind === 'call' ? 'ioctl' : 'step '} ${e.name}${args ? ` ${args}` : ''}`;
  if (e.errno) return `${head} -> ${e.errno}`;
  if (e.result !== undefined) return `${head} -> ${formatValue(e.result)}`;
  return e.note ? `${head} (${e.note})` : head;
}
