import { InputError } from '@viommu/core';
import { flag, str } from './args.js';
import { EXIT, JSON_OPTION, type CommandDef } from './command.js';
import { profileOf, QEMU_OPTION } from './profile-option.js';

export const command: CommandDef = {
  name: 'regs',
  summary: "the guest-visible registers of vIOMMUs, as QEMU computes them",
  usage: [
    'regs [--qemu P] [--accel tcg|kvm] [--machine M] <device>…',
    'regs [--qemu P] [--json] -- <qemu args>',
    'regs [--qemu P] [--accel A] [--machine M] --batch -',
  ],
  description:
    'Each <device> is a -device value (intel-iommu,aw-bits=39). Without --machine the vendor\'s usual machine\n' +
    '(q35 / virt) is used; without --accel, kvm. --batch - reads one -device value per line from stdin and\n' +
    'writes one JSON object per line, in order: {"device": …, "registers": {…}} or {"device": …, "error": …}.\n' +
    'No host is involved: registers depend only on QEMU and the device\'s properties.',
  options: [
    QEMU_OPTION,
    { name: 'accel', type: 'string', value: 'tcg|kvm', summary: 'accelerator (default kvm)', choices: ['tcg', 'kvm'] },
    { name: 'machine', type: 'string', value: 'M', summary: 'machine type and options (default: the vendor\'s, q35 or virt)' },
    { name: 'batch', type: 'string', value: '-', summary: 'read -device values from stdin, one per line; JSON lines out' },
    JSON_OPTION,
  ],
  examples: [
    'viommu regs intel-iommu,aw-bits=39 --qemu 7.2',
    'viommu regs --qemu 10.0 --json -- -machine virt,iommu=smmuv3 -global arm-smmuv3.stage=2',
    "printf 'intel-iommu\\nintel-iommu,aw-bits=47\\n' | viommu regs --qemu 7.2 --batch -",
  ],
  async run(args, io) {
    const profile = profileOf(str(args, 'qemu'));
    const machine = str(args, 'machine');
    const accel = str(args, 'accel');
    const batch = str(args, 'batch');
    const { deviceVm, loadViommuPlugins, needsDeviceModels, regsNeeds, viommuRegisters } = await import('../regs/registers.js');
    const modelsFor = async (types: readonly string[], plugins: Parameters<typeof needsDeviceModels>[1]) =>
      needsDeviceModels(types, plugins) ? (await import('../input/device-models.js')).deviceModels : undefined;
    if (batch !== undefined) {
      if (batch !== '-') throw new InputError(`--batch takes '-' (stdin), not '${batch}'`, 'regs');
      if (args.positionals.length || args.rest) throw new InputError('--batch reads devices from stdin only', 'regs');
      const lines = (await io.stdin()).split('\n').map((l) => l.trim()).filter(Boolean);
      const needs = regsNeeds(lines, machine);
      const plugins = await loadViommuPlugins(needs);
      const models = await modelsFor(needs.devices, plugins);
      let out = ''; // written every 64 KiB, so a long batch keeps no answers around
      let refused = false;
      let bad = false;
      for (const line of lines) {
        let answer;
        try {
          const last = viommuRegisters(deviceVm(line, machine, accel), plugins, profile, models).lines.at(-1)!;
          refused ||= 'error' in last;
          answer = 'error' in last ? { device: line, error: last.error } : { device: line, registers: last.registers };
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          bad = true;
          answer = { device: line, error: e.message };
        }
        out += `${JSON.stringify(answer)}\n`;
        if (out.length >= 1 << 16) {
          io.out(out);
          out = '';
        }
      }
      if (out) io.out(out);
      return bad ? EXIT.input : refused ? EXIT.refused : EXIT.ok;
    }
    let vms;
    if (args.rest !== undefined) {
      if (args.positionals.length) throw new InputError('give devices or a QEMU command line after --, not both', 'regs');
      if (machine || accel) throw new InputError('--machine/--accel apply to <device> arguments; after -- use -machine/-accel', 'regs');
      const { parseQemuArgs } = await import('../input/qemu-args.js');
      vms = [parseQemuArgs(args.rest)];
    } else {
      if (!args.positionals.length) throw new InputError('no device given (e.g. viommu regs intel-iommu,aw-bits=39)', 'regs');
      vms = args.positionals.map((d) => deviceVm(d, machine, accel));
    }
    const plugins = await loadViommuPlugins(args.rest === undefined ? regsNeeds(args.positionals, machine) : undefined);
    const models = await modelsFor(vms.flatMap((vm) => vm.devices.map((d) => d.type)), plugins);
    let code: number = EXIT.ok;
    for (const vm of vms) {
      const r = viommuRegisters(vm, plugins, profile, models);
      if (flag(args, 'json')) io.out(r.lines.map((l) => JSON.stringify(l)).join('\n'));
      else {
        for (const l of r.lines) {
          if ('error' in l) continue;
          io.out(`${l.device} (${r.binary} ${r.machine}, profile ${profile.id})`);
          const w = Math.max(...Object.keys(l.registers).map((k) => k.length));
          for (const [k, v] of Object.entries(l.registers)) io.out(`  ${k.padEnd(w)}  ${v}`);
        }
        if (r.printed) io.err(r.printed);
      }
      if (r.printed) code = EXIT.refused;
    }
    return code;
  },
};
