import { InputError } from '@viommu/core';
import type { CommandDef, ParsedArgs } from './command.js';

/**
 * Parses a command's arguments against its option specs: `--name value`, `--name=value`,
 * boolean `--name`; `--` ends the options (the rest is a QEMU command line).
 * @throws InputError naming the command and the option for unknown options, missing values
 *   and values outside `choices`.
 */
export function parseArgs(def: CommandDef, argv: readonly string[]): ParsedArgs {
  const where = def.name;
  const options: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  let rest: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a.startsWith('-') && a !== '-') throw new InputError(`unknown option '${a}' (see viommu ${def.name} --help)`, where);
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = def.options.find((o) => o.name === name);
    if (!spec) throw new InputError(`unknown option '--${name}' (see viommu ${def.name} --help)`, where);
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new InputError(`option '--${name}' takes no value`, where);
      value = true;
    } else {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new InputError(`option '--${name}' needs a value (${spec.value ?? 'VALUE'})`, where);
      if (spec.choices && !spec.choices.includes(v)) {
        throw new InputError(`option '--${name}': '${v}' is not one of ${spec.choices.join(', ')}`, where);
      }
      value = v;
    }
    if (spec.repeatable) ((options[name] ??= []) as string[]).push(String(value));
    else options[name] = value;
  }
  return { options, positionals, rest };
}

/** A string option's value, or undefined. */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable option's values (empty when absent). */
export function list(args: ParsedArgs, name: string): readonly string[] {
  const v = args.options[name];
  return Array.isArray(v) ? v : [];
}

/** A boolean option. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true;
}
