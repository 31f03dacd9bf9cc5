import { expect } from 'chai';
import { kernelFactsFromLog } from '../src/hosts/kernel-log.js';

// Lines from shared/data/real-hosts.json (host ids in comments).
describe('kernelFactsFromLog', () => {
  it('reads the release from the boot banner (intel-001)', () => {
    const f = kernelFactsFromLog([
      '[    0.000000] Linux version 6.12.38+deb13-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0, GNU ld (GNU Binutils for Debian) 2.44) #1 SMP PREEMPT_DYNAMIC Debian 6.12.38-1 (2025-07-16)',
    ]);
    expect(f).to.deep.equal({ release: '6.12.38+deb13-amd64', found: ['line 1: kernel release 6.12.38+deb13-amd64'] });
  });

  it('reads the command line, and the release from its BOOT_IMAGE when no banner is there (intel-008)', () => {
    const line =
      '    [    0.068845] Kernel command line: BOOT_IMAGE=/boot/vmlinuz-5.19.0-41-generic root=UUID=3ba26aa1-311e-40b5-b3b4-5f95583c8364 ro quiet splash intel_iommu=on kvm.ignore_msrs=1 video=efifb:off vfio-pci.ids=1002:73ef,1002:ab28 vt.handoff=7';
    const f = kernelFactsFromLog([line]);
    expect(f.release).to.equal('5.19.0-41-generic');
    expect(f.cmdline).to.equal(line.slice(line.indexOf('BOOT_IMAGE')));
    expect(f.found).to.deep.equal([`line 1: kernel command line '${f.cmdline}'`, 'line 1: kernel release 5.19.0-41-generic (from BOOT_IMAGE)']);
  });

  it('reads a BOOT_IMAGE with a GRUB device (arm-003) and a uname -a line (intel-100)', () => {
    expect(kernelFactsFromLog(['[   10.208717]     BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.16.0-rc5-00055-g0c759ecd169d']).release).to.equal('6.16.0-rc5-00055-g0c759ecd169d');
    expect(kernelFactsFromLog(['Linux xxxxx.ibm.com 4.18.0-348.20.1.el8_5.x86_64 #1 SMP Tue Mar 8 12:56:54 EST 2022 x86_64 x86_64 x86_64 GNU/Linux']).release).to.equal(
      '4.18.0-348.20.1.el8_5.x86_64',
    );
  });

  it('says nothing when nothing was printed (the usual excerpt)', () => {
    expect(kernelFactsFromLog(['[    0.090225] DMAR: dmar0: reg_base_addr fed90000 ver 4:0 cap 1c0000c40660462 ecap 29a00f0505e'])).to.deep.equal({ found: [] });
  });
});
