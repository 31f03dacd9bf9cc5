import { flagNames, hex, ViommuFlag, type ErrnoName, type LiveObject, type ProfileId, type Stage, type Trace } from '@viommu/core';
import type { HwptAlloc } from './hwpts.js';
import { coloursFor, type Colours } from '../progress/colour.js';

const PLAIN = coloursFor({ isTTY: false });

/** A realized vIOMMU as the verdict reports it. */
export interface ViommuReport {
  readonly typeName: string;
  readonly id?: string;
  /** Guest-visible registers by the plugin manifest's names. */
  readonly registers: Readonly<Record<string, bigint>>;
  /** `get_viommu_flags` (0 on profiles without the API). */
  readonly flags: bigint;
}

/** QEMU's refusal: what it prints and where in the flow it happened. */
export interface Refusal {
  /** QEMU's message (without binary and location). */
  readonly message: string;
  /** QEMU's location (`-device vfio-pci,host=…`), absent for machine-wide errors. */
  readonly location?: string;
  readonly stage: Stage;
  readonly errno?: ErrnoName;
  /** Lines QEMU prints after the message. */
  readonly hint?: string;
  /** The whole first line as QEMU prints it. */
  readonly printed: string;
}

/** The outcome of one check. */
export interface Verdict {
  readonly ok: boolean;
  readonly profile: ProfileId;
  readonly release: string;
  readonly qemuBinary: string;
  /** Resolved machine type (`pc-q35-10.0`). */
  readonly machine: string;
  readonly host: string;
  readonly refusal?: Refusal;
  readonly trace: Trace;
  readonly viommus: readonly ViommuReport[];
  /** Every HWPT allocation QEMU asked for, with its flags (from the trace). */
  readonly hwpts: readonly HwptAlloc[];
  /** IOMMU objects the kernel holds once QEMU is up (HWPTs, vIOMMUs, vDEVICEs). */
  readonly kernelObjects: readonly LiveObject[];
  /** Options ignored and choices made for the user. */
  readonly notes: readonly string[];
}

/** `error_report` format: `<binary>: [<location>: ]<message>`. */
export function printRefusal(binary: string, location: string | undefined, message: string): string {
  return `${binary}: ${location ? `${location}: ` : ''}${message}`;
}

/** The verdict as plain JSON (bigints as `0x…`). */
export function verdictToJson(v: Verdict): unknown {
  return {
    ok: v.ok,
    profile: v.profile,
    release: v.release,
    qemuBinary: v.qemuBinary,
    machine: v.machine,
    host: v.host,
    ...(v.refusal ? { refusal: v.refusal } : {}),
    viommus: v.viommus.map((d) => ({
      typeName: d.typeName,
      ...(d.id ? { id: d.id } : {}),
      flags: hex(d.flags),
      flagNames: flagNames(d.flags, ViommuFlag),
      registers: Object.fromEntries(Object.entries(d.registers).map(([k, r]) => [k, hex(r)])),
    })),
    hwpts: v.hwpts,
    kernelObjects: v.kernelObjects,
    notes: v.notes,
    trace: v.trace.toJSON(),
  };
}

/**
 * The verdict for people: verdict line, QEMU's text, vIOMMUs, kernel objects, trace.
 * `colours` (see `progress/colour.ts`) paints the verdict and QEMU's line; plain by default.
 */
export function formatVerdict(v: Verdict, opts: { trace?: boolean; colours?: Colours } = {}): string {
  const c = opts.colours ?? PLAIN;
  const lines: string[] = [];
  lines.push(`${v.ok ? c.bold(c.green('OK')) : c.bold(c.red('REFUSED'))}: ${v.qemuBinary} ${v.machine}, profile ${v.profile} (${v.release}), host ${v.host}`);
  if (v.refusal) {
    lines.push(c.red(v.refusal.printed));
    if (v.refusal.hint) lines.push(...v.refusal.hint.split('\n'));
    lines.push(`  stage: ${v.refusal.stage}${v.refusal.errno ? `, errno ${v.refusal.errno}` : ''}`);
  }
  for (const d of v.viommus) {
    const regs = Object.entries(d.registers).map(([k, r]) => `${k}=${hex(r)}`).join(' ');
    const names = flagNames(d.flags, ViommuFlag);
    lines.push(`vIOMMU ${d.typeName}${d.id ? ` id=${d.id}` : ''}: flags=${hex(d.flags)}${names.length ? ` (${names.join('|')})` : ''} ${regs}`);
  }
  for (const h of v.hwpts) {
    const flags = `flags=${h.flags}${h.flagNames.length ? ` (${h.flagNames.join('|')})` : ''}`;
    lines.push(`HWPT ${h.hwptId ?? `refused ${h.errno}`}: pt_id=${h.ptId} dev_id=${h.devId} ${flags} data_type=${h.dataType}`);
  }
  for (const o of v.kernelObjects) lines.push(`kernel: ${o.kind} ${o.id}${o.description ? ` ${o.description}` : ''}`);
  for (const n of v.notes) lines.push(`note: ${n}`);
  if (opts.trace !== false && v.trace.entries.length > 0) {
    lines.push('trace:');
    lines.push(v.trace.format());
  }
  return lines.join('\n');
}
