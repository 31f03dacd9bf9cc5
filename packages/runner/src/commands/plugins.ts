import { flag } from './args.js';
import { JSON_OPTION, type CommandDef } from './command.js';

export const command: CommandDef = {
  name: 'plugins',
  summary: 'list the plugin packages found, with versions, vIOMMUs, drivers and profiles',
  usage: ['plugins [--json]'],
  description:
    'Built-in packages plus every installed package whose package.json declares\n' +
    '"viommu": { "plugin": true } and exports register(container).',
  options: [JSON_OPTION],
  examples: ['viommu plugins', 'viommu plugins --json'],
  async run(args, io) {
    const { listPlugins, formatPluginList } = await import('../plugins/list.js');
    const list = await listPlugins();
    io.out(flag(args, 'json') ? JSON.stringify(list, null, 2) : formatPluginList(list));
    return 0;
  },
};
