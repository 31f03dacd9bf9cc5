import type { CommandDef } from './command.js';

/**
 * Every command by name, loaded on demand: the CLI imports only the module of the command it
 * runs, so `viommu regs` starts without the scenario engine, tsyringe or ajv.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<CommandDef>>> = {
  check: async () => (await import('./check.js')).command,
  regs: async () => (await import('./regs.js')).command,
  suite: async () => (await import('./suite.js')).command,
  plugins: async () => (await import('./plugins.js')).command,
  hosts: async () => (await import('./hosts.js')).command,
  fleet: async () => (await import('./fleet.js')).command,
  migrate: async () => (await import('./migrate.js')).command,
  'new-plugin': async () => (await import('./new-plugin.js')).command,
  help: async () => (await import('./help-command.js')).command,
};

/** Every command definition, in registry order. */
export async function allCommands(): Promise<CommandDef[]> {
  return Promise.all(Object.values(COMMANDS).map((load) => load()));
}
