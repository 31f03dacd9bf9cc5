import { InputError } from '@viommu/core';
import { flag, str } from './args.js';
import { JSON_OPTION, type CommandDef } from './command.js';
import { profileOf, QEMU_OPTION } from './profile-option.js';

export const command: CommandDef = {
  name: 'check',
  summary: 'pre-flight check of one VM configuration on one host',
  usage: ['check --host H [--qemu P] [--json] -- <qemu args>', 'check --host H [--qemu P] --libvirt dom.xml', 'check --host H [--qemu P] --cmdline FILE', 'check --scenario FILE [--json]'],
  description:
    'Runs QEMU\'s vIOMMU ⇄ host IOMMU negotiation for the configuration against a model of the host and\n' +
    'prints the verdict, QEMU\'s exact message when QEMU would refuse it, the vIOMMUs\' registers and flags,\n' +
    'the kernel objects left (HWPTs, vIOMMUs, vDEVICEs) and the trace of every step and ioctl.\n' +
    'H is a catalogue id (viommu hosts list), a host profile JSON, a kernel boot log or a copy of /sys.\n' +
    '--scenario runs the scenarios of a JSON file (schemas/scenario.schema.json: host, qemu, qemuArgs,\n' +
    'expect) and exits 1 unless each meets its expectation.',
  options: [
    { name: 'host', type: 'string', value: 'ID|FILE|DIR', summary: 'the host: catalogue id, host profile, boot log or sysfs copy' },
    QEMU_OPTION,
    { name: 'libvirt', type: 'string', value: 'FILE', summary: 'read the VM from a libvirt domain XML' },
    { name: 'cmdline', type: 'string', value: 'FILE', summary: 'read the QEMU command line from a file' },
    { name: 'scenario', type: 'string', value: 'FILE', summary: 'run the scenarios of a scenario file (JSON, with expectations)' },
    { name: 'no-trace', type: 'boolean', summary: 'leave the trace out of the text output' },
    JSON_OPTION,
  ],
  examples: [
    'viommu check --host intel-068 --qemu 10.0 -- -machine q35,kernel-irqchip=split -accel kvm -device intel-iommu,caching-mode=on -object iommufd,id=fd0 -device vfio-pci,host=0000:01:00.0,iommufd=fd0',
    'viommu check --host arm-004 -- -machine virt,iommu=smmuv3 -accel kvm -device vfio-pci,host=0000:01:00.0',
    'viommu check --host ./lab-node.dmesg.txt --libvirt vm.xml --json',
    'viommu check --scenario preflight.json',
  ],
  async run(args, io) {
    const hostSpec = str(args, 'host');
    const scenarioFile = str(args, 'scenario');
    if (scenarioFile !== undefined) {
      if (hostSpec !== undefined || args.rest !== undefined || str(args, 'cmdline') !== undefined || str(args, 'libvirt') !== undefined || str(args, 'qemu') !== undefined) {
        throw new InputError('--scenario FILE names hosts, profiles and command lines itself: give none of --host, --qemu, --libvirt, --cmdline, --', 'check');
      }
      const { checkScenarioFile } = await import('./check-scenarios.js');
      return checkScenarioFile(scenarioFile, io, { json: flag(args, 'json'), trace: !flag(args, 'no-trace') });
    }
    if (args.positionals.length) throw new InputError(`unexpected argument '${args.positionals[0]}' (QEMU arguments go after --)`, 'check');
    if (!hostSpec) throw new InputError('missing --host (a catalogue id, host profile, boot log or sysfs copy)', 'check');
    const profile = profileOf(str(args, 'qemu'));
    const { checkOne } = await import('./check-one.js');
    return checkOne(hostSpec, { rest: args.rest, cmdline: str(args, 'cmdline'), libvirt: str(args, 'libvirt') }, profile, io, { json: flag(args, 'json'), trace: !flag(args, 'no-trace') });
  },
};
