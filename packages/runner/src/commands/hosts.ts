import { hex, InputError, type HostModel } from '@viommu/core';
import { flag, str } from './args.js';
import { EXIT, JSON_OPTION, type CommandDef } from './command.js';

function summary(h: HostModel): string {
  const vendors = [...new Set(h.units.map((u) => u.vendor))].join('/');
  return `${h.id.padEnd(12)} ${h.arch.padEnd(7)} ${vendors.padEnd(5)} ${String(h.units.length).padStart(2)} units ${String(h.devices.length).padStart(2)} devs  ${h.kernel.iommufd ? 'iommufd' : '-------'}  ${h.description ?? ''}`.trimEnd();
}

function details(h: HostModel): string {
  const lines = [`${h.id}: ${h.description ?? ''}`.trimEnd(), `  arch ${h.arch}, kernel ${h.kernel.release}`, `  cmdline: ${h.kernel.cmdline}`];
  lines.push(`  /dev/iommu ${h.kernel.iommufd ? 'yes' : 'no'}, VFIO cdev ${h.kernel.vfioCdev ? 'yes' : 'no'}, type1 ${h.kernel.vfioType1 ? 'yes' : 'no'}`);
  for (const u of h.units) lines.push(`  ${u.name} (${u.vendor}): ${Object.entries(u.registers).map(([k, v]) => `${k} ${hex(v)}`).join(' ')}`);
  for (const d of h.devices) lines.push(`  ${d.bdf} group ${d.group} behind ${d.unit}, driver ${d.driver}${d.pasidLog2 ? `, PASID ${d.pasidLog2} bits` : ''}`);
  for (const a of h.assumed ?? []) lines.push(`  assumed: ${a}`);
  return lines.join('\n');
}

export const command: CommandDef = {
  name: 'hosts',
  summary: 'the host catalogue: list, show, import a host, probe this machine',
  usage: ['hosts list [--json]', 'hosts show ID|FILE|DIR [--json]', 'hosts import FILE|DIR', 'hosts probe [--root DIR]'],
  description:
    '`import` reads a boot log, a host profile or a copy of /sys and prints a host profile (JSON) to use with\n' +
    '`check --host`; `probe` does the same for the machine viommu runs on (or a tree standing for / at --root).',
  options: [{ name: 'root', type: 'string', value: 'DIR', summary: 'probe: the directory standing for /' }, JSON_OPTION],
  examples: ['viommu hosts list', 'viommu hosts show intel-068', 'viommu hosts import ./dmesg.txt > lab-node.json', 'viommu hosts probe > this-host.json'],
  async run(args, io) {
    const lib = await import('../hosts/index.js');
    const [sub, arg, extra] = args.positionals;
    const where = `hosts ${sub ?? ''}`.trimEnd();
    if (extra !== undefined) throw new InputError(`unexpected argument '${extra}'`, where);
    const json = flag(args, 'json');
    switch (sub) {
      case 'list': {
        const hosts = lib.listHosts();
        io.out(json ? JSON.stringify(hosts.map(lib.hostToJson), null, 2) : hosts.map(summary).join('\n'));
        return EXIT.ok;
      }
      case 'show': {
        if (!arg) throw new InputError('missing host (an id from `viommu hosts list`, a file or a directory)', where);
        const h = await lib.loadHost(arg);
        io.out(json ? JSON.stringify(lib.hostToJson(h), null, 2) : details(h));
        return EXIT.ok;
      }
      case 'import': {
        if (!arg) throw new InputError('missing FILE|DIR to import', where);
        const got = lib.importHost(arg);
        for (const a of got.assumed) io.err(`assumed: ${a}`);
        io.out(JSON.stringify(lib.hostToJson(got.host), null, 2));
        return EXIT.ok;
      }
      case 'probe': {
        if (arg) throw new InputError(`unexpected argument '${arg}' (use --root DIR)`, where);
        const got = lib.probeHost(str(args, 'root') ?? '/');
        for (const a of got.assumed) io.err(`assumed: ${a}`);
        if (!got.host) {
          io.err(`viommu: hosts probe: no IOMMU found (${got.found.join('; ') || 'nothing under /sys/class/iommu'})`);
          return EXIT.refused;
        }
        io.out(JSON.stringify(lib.hostToJson(got.host), null, 2));
        return EXIT.ok;
      }
      default:
        throw new InputError(sub === undefined ? 'missing subcommand (list, show, import, probe)' : `unknown subcommand '${sub}' (list, show, import, probe)`, 'hosts');
    }
  },
};
