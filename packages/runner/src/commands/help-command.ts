import { InputError } from '@viommu/core';
import { flag } from './args.js';
import type { CommandDef } from './command.js';

export const command: CommandDef = {
  name: 'help',
  summary: 'help on a command, or the whole CLI reference as Markdown',
  usage: ['help [COMMAND]', 'help --markdown'],
  options: [{ name: 'markdown', type: 'boolean', summary: 'every command as Markdown (docs/cli.md)' }],
  examples: ['viommu help check', 'viommu help --markdown > docs/cli.md'],
  async run(args, io) {
    const { allCommands, COMMANDS } = await import('./registry.js');
    const help = await import('./help.js');
    if (flag(args, 'markdown')) {
      io.out(help.cliMarkdown(await allCommands()));
      return 0;
    }
    const name = args.positionals[0];
    if (name === undefined) {
      io.out(help.mainHelp(await allCommands()));
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new InputError(`unknown command '${name}'`, 'help');
    io.out(help.commandHelp(await load()));
    return 0;
  },
};
