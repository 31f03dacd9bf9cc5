import { InputError } from '@viommu/core';
import { flag, str } from './args.js';
import { EXIT, JSON_OPTION, type CommandDef } from './command.js';
import { profileOf, QEMU_OPTION } from './profile-option.js';

export const command: CommandDef = {
  name: 'migrate',
  summary: 'can this VM move live from one host to another',
  usage: [
    'migrate --from H1 --to H2 [--qemu P] [--to-qemu P2] [--json] -- <qemu args>',
    'migrate --from H1 --to H2 [--qemu P] --libvirt dom.xml',
    'migrate --from H1 --to H2 [--qemu P] --cmdline FILE',
  ],
  description:
    'Runs the VM on both hosts. It can move live when it starts on H1, H2 passes every host check H1 passed,\n' +
    'and the guest-visible vIOMMU state (the vIOMMUs, their registers and flags) is identical on both.\n' +
    'Each failing check and each differing register is named. Exit 0 when it can move, 1 when not.',
  options: [
    { name: 'from', type: 'string', value: 'ID|FILE|DIR', summary: 'the source host (as check --host)' },
    { name: 'to', type: 'string', value: 'ID|FILE|DIR', summary: 'the destination host' },
    QEMU_OPTION,
    { ...QEMU_OPTION, name: 'to-qemu', summary: "the destination's QEMU profile (default: --qemu)" },
    { name: 'libvirt', type: 'string', value: 'FILE', summary: 'read the VM from a libvirt domain XML' },
    { name: 'cmdline', type: 'string', value: 'FILE', summary: 'read the QEMU command line from a file' },
    JSON_OPTION,
  ],
  examples: [
    'viommu migrate --from intel-068 --to intel-001 --qemu 10.0 -- -machine q35,kernel-irqchip=split -accel kvm -device intel-iommu,caching-mode=on -device vfio-pci,host=0000:01:00.0',
  ],
  async run(args, io) {
    if (args.positionals.length) throw new InputError(`unexpected argument '${args.positionals[0]}' (QEMU arguments go after --)`, 'migrate');
    const fromSpec = str(args, 'from');
    const toSpec = str(args, 'to');
    if (!fromSpec) throw new InputError('missing --from (the source host)', 'migrate');
    if (!toSpec) throw new InputError('missing --to (the destination host)', 'migrate');
    const profile = profileOf(str(args, 'qemu'));
    const toProfile = str(args, 'to-qemu') === undefined ? profile : profileOf(str(args, 'to-qemu'));
    const { loadVm } = await import('../input/load-vm.js');
    const vm = await loadVm({ rest: args.rest, cmdline: str(args, 'cmdline'), libvirt: str(args, 'libvirt') }, 'migrate');
    const { loadHost } = await import('../hosts/load.js');
    const from = await loadHost(fromSpec);
    const to = await loadHost(toSpec);
    const { compositionFor } = await import('../plugins/needs.js');
    const lib = await import('../migrate/index.js');
    const r = lib.checkMigration(await compositionFor(vm, [from, to]), vm, from, to, profile, toProfile);
    io.out(flag(args, 'json') ? JSON.stringify(lib.migrationToJson(r), null, 2) : lib.formatMigration(r));
    return r.ok ? EXIT.ok : EXIT.refused;
  },
};
