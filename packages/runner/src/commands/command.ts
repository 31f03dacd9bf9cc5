/**
 * Commands are data: each `src/commands/<name>.ts` exports one `CommandDef`. The CLI's
 * `--help`, its argument parsing and `docs/cli.md` all come from these definitions. A
 * command module imports its heavy dependencies inside `run`, so loading it for help is cheap.
 */

/** One option of a command. */
export interface OptionSpec {
  /** Long name without dashes (`host` for `--host`). */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** Placeholder of the value in help (`ID|FILE|DIR`). */
  readonly value?: string;
  readonly summary: string;
  /** Allowed values, checked before `run`. */
  readonly choices?: readonly string[];
  /** May be given more than once (values collected in order). */
  readonly repeatable?: boolean;
}

/** Parsed arguments of one command. */
export interface ParsedArgs {
  readonly options: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
  /** Arguments that are not options, before `--`. */
  readonly positionals: readonly string[];
  /** Everything after `--` (a QEMU command line), or undefined when there is no `--`. */
  readonly rest?: readonly string[];
}

/** Where a command writes and reads. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input. */
  stdin(): Promise<string>;
}

export interface CommandDef {
  readonly name: string;
  readonly summary: string;
  /** Usage lines after `viommu `. */
  readonly usage: readonly string[];
  /** Paragraphs describing the command. */
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  /** Copy-paste examples (without the leading `$ `). */
  readonly examples: readonly string[];
  /** Runs the command; resolves to the exit code (0 ok, 1 refused, 2 bad input). */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

/** The `--json` option every command has. */
export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', summary: 'machine-readable JSON on stdout' };

/** Exit codes. */
export const EXIT = { ok: 0, refused: 1, input: 2 } as const;
