import { expect } from 'chai';
import { InputError } from '@viommu/core';
import { parseQemuArgs, splitShellWords } from '../src/input/qemu-args.js';

describe('QEMU command-line parser', () => {
  it('keeps machine, accel, objects, devices and globals in order; notes what it ignores', () => {
    const vm = parseQemuArgs([
      'qemu-system-x86_64', '-M', 'q35,kernel-irqchip=split', '--enable-kvm', '-m', '4G', '-nographic',
      '-object', 'iommufd,id=fd0', '-device', 'intel-iommu,caching-mode=on', '-global', 'intel-iommu.aw-bits=39',
      '-device', 'vfio-pci,host=0000:17:00.0,iommufd=fd0,id=nic0',
    ]);
    expect(vm.machine).to.deep.equal({ type: 'q35', props: { 'kernel-irqchip': 'split' }, text: '-machine q35,kernel-irqchip=split' });
    expect(vm.accel).to.equal('kvm');
    expect(vm.objects.map((o) => [o.type, o.id])).to.deep.equal([['iommufd', 'fd0']]);
    expect(vm.devices.map((d) => d.location)).to.deep.equal(['-device intel-iommu,caching-mode=on', '-device vfio-pci,host=0000:17:00.0,iommufd=fd0,id=nic0']);
    expect(vm.devices[1]!.id).to.equal('nic0');
    expect(vm.globals).to.deep.equal({ 'intel-iommu': { 'aw-bits': '39' } });
    expect(vm.notes).to.deep.equal(['ignored -m 4G', 'ignored -nographic']);
  });

  it('takes the first accelerator of -accel / -machine accel=', () => {
    expect(parseQemuArgs(['-machine', 'virt,accel=kvm:tcg']).accel).to.equal('kvm');
    expect(parseQemuArgs(['-accel', 'tcg', '-accel', 'kvm']).accel).to.equal('tcg');
  });

  it('refuses what QEMU refuses, naming the option', () => {
    const err = (argv: string[]) => {
      try {
        parseQemuArgs(argv);
      } catch (e) {
        expect(e).to.be.instanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(err(['-foo'])).to.equal('command line: -foo: invalid option');
    expect(err(['-device'])).to.equal('command line: -device: requires an argument');
    expect(err(['-device', 'bus=pcie.0'])).to.equal("command line: -device bus=pcie.0: Parameter 'driver' is missing");
    expect(err(['-global', 'nodot'])).to.equal("command line: -global nodot: Invalid 'global' option, expected driver.property=value");
    expect(err(['-accel', 'hvf'])).to.equal('command line: -accel hvf: invalid accelerator hvf');
    expect(err(['-machine', 'q35', 'stray'])).to.equal("command line: stray: not a QEMU option (QEMU options start with '-')");
  });

  it('splits a pasted command line like a shell: quotes, continuations, comments', () => {
    expect(splitShellWords("qemu \\\n -device 'a,b=c d' \"x\"y # tail\n -S", 'f')).to.deep.equal(['qemu', '-device', 'a,b=c d', 'xy', '-S']);
    expect(() => splitShellWords("-device 'open", 'vm.sh')).to.throw(InputError, "vm.sh: unterminated ' quote");
  });
});
