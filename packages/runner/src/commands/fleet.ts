import { InputError } from '@viommu/core';
import { flag, str } from './args.js';
import { EXIT, JSON_OPTION, type CommandDef } from './command.js';
import { profileOf, QEMU_OPTION } from './profile-option.js';

export const command: CommandDef = {
  name: 'fleet',
  summary: 'placement of VM shapes over a fleet of hosts, refusals grouped by QEMU\'s reason',
  usage: ['fleet --hosts FILE|DIR|catalogue --vms SHAPES.jsonl [--qemu P] [--workers N] [--json]'],
  description:
    'For every VM shape, the hosts that take it and, for the rest, QEMU\'s refusal, grouped by reason.\n' +
    '--hosts is a JSON-lines file of host profiles, a directory of host files (anything `hosts import` reads)\n' +
    'or `catalogue`. Each line of --vms is {"id": …, "qemuArgs": "…"} or {"id": …, "libvirt": "dom.xml"}.\n' +
    'Hosts equal in what the decision reads (the passthrough devices, their groups and IOMMU units, the\n' +
    'kernel) are run once; large runs spread over worker threads. Exit 0 when every shape has a host, else 1.',
  options: [
    { name: 'hosts', type: 'string', value: 'FILE|DIR|catalogue', summary: 'the fleet: host profiles (JSON lines), a directory of host files, or the catalogue' },
    { name: 'vms', type: 'string', value: 'FILE', summary: 'VM shapes, one JSON object per line' },
    QEMU_OPTION,
    { name: 'workers', type: 'string', value: 'N', summary: 'at most N worker threads (default: available cores; 0: none)' },
    JSON_OPTION,
  ],
  examples: ['viommu fleet --hosts catalogue --vms shapes.jsonl', 'viommu fleet --hosts fleet.jsonl --vms shapes.jsonl --qemu 10.0 --json'],
  async run(args, io) {
    if (args.positionals.length || args.rest) throw new InputError('fleet takes no arguments besides its options', 'fleet');
    const hostsSpec = str(args, 'hosts');
    const vmsSpec = str(args, 'vms');
    if (!hostsSpec) throw new InputError('missing --hosts (a JSON-lines file of host profiles, a directory, or catalogue)', 'fleet');
    if (!vmsSpec) throw new InputError('missing --vms (VM shapes, one JSON object per line)', 'fleet');
    const workers = str(args, 'workers');
    if (workers !== undefined && !/^\d+$/.test(workers)) throw new InputError(`--workers takes a whole number, not '${workers}'`, 'fleet');
    const profile = profileOf(str(args, 'qemu'));
    const lib = await import('../fleet/index.js');
    const shapes = lib.loadShapes(vmsSpec);
    const hosts = lib.loadFleetHosts(hostsSpec);
    const { Composition } = await import('../scenario/compose.js');
    const plan = await lib.planFleet(await Composition.create(), hosts, shapes, profile, workers === undefined ? {} : { maxWorkers: Number(workers) });
    io.out(flag(args, 'json') ? JSON.stringify(lib.fleetToJson(plan), null, 2) : lib.formatFleet(plan));
    return plan.placements.every((p) => p.acceptedCount > 0) ? EXIT.ok : EXIT.refused;
  },
};
