#!/usr/bin/env node
import { parseArgs } from './commands/args.js';
import { allCommands, COMMANDS } from './commands/registry.js';
import { PROCESS_IO as io } from './commands/stdio.js';

/** `viommu <command> …`: loads only the chosen command. Bad input → one line on stderr, exit 2. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    const { mainHelp } = await import('./commands/help.js');
    io.out(mainHelp(await allCommands()));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    io.out(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.err(`viommu: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  const def = await load();
  const dashdash = rest.indexOf('--');
  const own = dashdash < 0 ? rest : rest.slice(0, dashdash);
  if (own.includes('--help') || own.includes('-h')) {
    const { commandHelp } = await import('./commands/help.js');
    io.out(commandHelp(def));
    return 0;
  }
  return def.run(parseArgs(def, rest), io);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof Error && e.name === 'InputError') {
      io.err(`viommu: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    io.err(`viommu: internal error: ${e instanceof Error ? e.message : String(e)}${process.env.VIOMMU_DEBUG ? `\n${(e as Error).stack}` : ' (VIOMMU_DEBUG=1 shows the stack)'}`);
    process.exitCode = 3;
  },
);
