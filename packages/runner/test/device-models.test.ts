import { InputError, PCI_BRIDGE_ROLES, PROFILES, QemuError, type ProfileId } from '@viommu/core';
import { expect } from 'chai';
import { deviceModels } from '../src/input/device-models.js';
import { parseQemuArgs } from '../src/input/qemu-args.js';
import { CAPTURED_DEVICE_MODELS } from '../src/input/device-models-data.js';
import type { Arch } from '../src/scenario/machine.js';
import { viommu } from './cli-helpers.js';

/** QEMU's refusal of `-device <driver>` on a `family` machine of `profile`'s `arch` binary, or 'accepted'. */
function lookup(profile: ProfileId, arch: Arch, driver: string, family: string): string {
  try {
    const m = deviceModels(profile, arch).lookup(driver, family);
    return `accepted as ${m.typeName} on ${m.bus || 'no bus'}`;
  } catch (e) {
    if (e instanceof QemuError) return e.message;
    throw e;
  }
}

const CAPTURED = [
  ['7.2', 'x86_64', 'q35'],
  ['7.2', 'aarch64', 'virt'],
  ['10.0', 'x86_64', 'q35'],
  ['10.0', 'aarch64', 'virt'],
] as const;

/** The second line of `check`'s text: QEMU's line. */
const qemuLine = (out: string) => out.split('\n')[1];

describe('-device model names: qdev_get_device_class with the lists captured from the binaries', () => {
  for (const [profile, arch, family] of CAPTURED) {
    describe(`qemu-system-${arch} ${profile} (${CAPTURED_DEVICE_MODELS[profile][arch].qemu})`, () => {
      it("an unknown name, a QOM type that is no device, a name in the wrong case and '': 'is not a valid device model name' (printed by this binary)", () => {
        expect(lookup(profile, arch, 'foo', family)).to.equal("'foo' is not a valid device model name");
        expect(lookup(profile, arch, 'memory-backend-ram', family)).to.equal("'memory-backend-ram' is not a valid device model name");
        expect(lookup(profile, arch, 'Foo', family)).to.equal("'Foo' is not a valid device model name");
        expect(lookup(profile, arch, '', family)).to.equal("'' is not a valid device model name");
      });

      it("abstract types: 'Parameter 'driver' expects a non-abstract device type' (printed by this binary for pci-device and device)", () => {
        expect(lookup(profile, arch, 'pci-device', family)).to.equal("Parameter 'driver' expects a non-abstract device type");
        expect(lookup(profile, arch, 'device', family)).to.equal("Parameter 'driver' expects a non-abstract device type");
      });

      it('vfio-pci, the PCIe root port and the bridges are on the PCI bus; vfio-user-pci does not exist yet (printed by this binary)', () => {
        for (const name of ['vfio-pci', 'pcie-root-port', 'pcie-pci-bridge', 'pci-bridge', 'pxb-pcie']) {
          expect(lookup(profile, arch, name, family), name).to.equal(`accepted as ${name} on PCI`);
        }
        expect(lookup(profile, arch, 'vfio-user-pci', family)).to.equal("'vfio-user-pci' is not a valid device model name");
      });
    });
  }

  it("q35-pcihost and mch exist in qemu-system-x86_64 but are not user-creatable; qemu-system-aarch64 has no q35-pcihost (7.2 and 10.0 printed both texts)", () => {
    for (const profile of ['7.2', '10.0'] as const) {
      expect(lookup(profile, 'x86_64', 'q35-pcihost', 'q35')).to.equal("Parameter 'driver' expects a pluggable device type");
      expect(lookup(profile, 'x86_64', 'mch', 'q35')).to.equal("Parameter 'driver' expects a pluggable device type");
      expect(lookup(profile, 'aarch64', 'q35-pcihost', 'virt')).to.equal("'q35-pcihost' is not a valid device model name");
    }
  });

  it('virt: gpex-pcihost, platform-bus-device and xgmac are not user-creatable; intel-iommu is no aarch64 model (7.2 and 10.0 qemu-system-aarch64)', () => {
    for (const profile of ['7.2', '10.0'] as const) {
      for (const name of ['gpex-pcihost', 'platform-bus-device', 'xgmac']) {
        expect(lookup(profile, 'aarch64', name, 'virt'), name).to.equal("Parameter 'driver' expects a pluggable device type");
      }
      expect(lookup(profile, 'aarch64', 'intel-iommu', 'virt')).to.equal("'intel-iommu' is not a valid device model name");
    }
  });

  it('amd-iommu is a dynamic sysbus device of q35 only; ramfb of q35 and pc; uefi-vars-x64 appears in 10.0 (7.2 and 10.0 qemu-system-x86_64)', () => {
    for (const profile of ['7.2', '10.0'] as const) {
      expect(lookup(profile, 'x86_64', 'amd-iommu', 'q35')).to.equal('accepted as amd-iommu on System');
      expect(lookup(profile, 'x86_64', 'amd-iommu', 'pc')).to.equal("Parameter 'driver' expects a dynamic sysbus device type for the machine");
      expect(lookup(profile, 'x86_64', 'ramfb', 'pc')).to.equal('accepted as ramfb on System');
    }
    expect(lookup('7.2', 'x86_64', 'uefi-vars-x64', 'pc')).to.equal("'uefi-vars-x64' is not a valid device model name");
    expect(lookup('10.0', 'x86_64', 'uefi-vars-x64', 'pc')).to.equal('accepted as uefi-vars-x64 on System');
  });

  it('aliases resolve to the model -device help names (virtio-net → virtio-net-pci, ahci → ich9-ahci; the collision messages of 7.2 and 10.0 name the model)', () => {
    for (const [profile, arch, family] of CAPTURED) {
      expect(lookup(profile, arch, 'virtio-net', family)).to.equal('accepted as virtio-net-pci on PCI');
    }
    expect(lookup('10.0', 'x86_64', 'ahci', 'q35')).to.equal('accepted as ich9-ahci on PCI');
  });

  it('-device help, -device ?, -device <model>,help are input errors: QEMU prints help and exits 0 (7.2 and 10.0: rc=0)', () => {
    for (const text of ['help', '?', 'vfio-pci,help', 'foo,help', 'intel-iommu,?']) {
      expect(() => parseQemuArgs(['-device', text]), text).to.throw(
        InputError,
        `command line: -device ${text}: QEMU prints help and exits (is_help_option); there is no configuration to check`,
      );
    }
  });
});

describe('-device model names: 10.2 and upstream, derived from 10.0 and upstream source', () => {
  for (const profile of ['10.2', 'upstream'] as const) {
    it(`${profile}: says it is derived; vfio-user-pci added (10.1); arm-smmuv3 user-creatable and a dynamic sysbus device of virt (10.2)`, () => {
      expect(deviceModels(profile, 'aarch64').source).to.match(/^derived for .*QEMU emulator version 10\.0\.2/);
      expect(lookup(profile, 'x86_64', 'vfio-user-pci', 'q35')).to.equal('accepted as vfio-user-pci on PCI');
      expect(lookup(profile, 'aarch64', 'arm-smmuv3', 'virt')).to.equal('accepted as arm-smmuv3 on System');
      expect(lookup(profile, 'aarch64', 'foo', 'virt')).to.equal("'foo' is not a valid device model name");
    });
  }

  it('10.0 itself still refuses -device arm-smmuv3 as not pluggable (qemu-system-aarch64 10.0.2 printed it)', () => {
    expect(lookup('10.0', 'aarch64', 'arm-smmuv3', 'virt')).to.equal("Parameter 'driver' expects a pluggable device type");
    expect(lookup('7.2', 'aarch64', 'arm-smmuv3', 'virt')).to.equal("Parameter 'driver' expects a pluggable device type");
  });

  it('every profile and target knows every bridge the engine plugs, and vfio-pci', () => {
    for (const { id } of PROFILES) {
      for (const [arch, family] of [['x86_64', 'q35'], ['aarch64', 'virt']] as const) {
        for (const name of ['vfio-pci', ...Object.keys(PCI_BRIDGE_ROLES)]) {
          expect(lookup(id, arch, name, family), `${id} ${arch} ${name}`).to.match(/^accepted as /);
        }
      }
    }
  });
});

describe('viommu check: -device models as QEMU checks them, in command-line order', () => {
  const check = (profile: string, ...args: string[]) => viommu(['check', '--host', 'intel-068', '--qemu', profile, '--no-trace', '--', '-nodefaults', ...args]);

  it('an unknown model is refused at its place in the order: before a later vIOMMU, after an earlier one (7.2 and 10.0 printed these)', () => {
    const first = check('10.0', '-machine', 'q35', '-device', 'foo', '-device', 'intel-iommu,aw-bits=47');
    expect(first.code).to.equal(1);
    expect(qemuLine(first.out)).to.equal("qemu-system-x86_64: -device foo: 'foo' is not a valid device model name");
    expect(first.out).to.include('stage: option-parse');
    const later = check('10.0', '-machine', 'q35', '-device', 'intel-iommu,aw-bits=47', '-device', 'foo');
    expect(qemuLine(later.out)).to.equal('qemu-system-x86_64: -device intel-iommu,aw-bits=47: Legacy mode: supported values for aw-bits are: 39, 48');
    const slot = check('7.2', '-machine', 'q35', '-device', 'e1000,addr=3', '-device', 'foo,addr=3');
    expect(qemuLine(slot.out)).to.equal("qemu-system-x86_64: -device foo,addr=3: 'foo' is not a valid device model name");
  });

  it("-device ,id=x names the model '' (7.2 and 10.0 printed it, exit 1)", () => {
    const r = check('7.2', '-machine', 'q35', '-device', ',id=x');
    expect(r.code).to.equal(1);
    expect(qemuLine(r.out)).to.equal("qemu-system-x86_64: -device ,id=x: '' is not a valid device model name");
  });

  it('q35-pcihost on q35, amd-iommu on pc, arm-smmuv3 on virt 10.0: QEMU\'s texts', () => {
    expect(qemuLine(check('10.0', '-machine', 'q35', '-device', 'q35-pcihost').out)).to.equal(
      "qemu-system-x86_64: -device q35-pcihost: Parameter 'driver' expects a pluggable device type",
    );
    expect(qemuLine(check('10.0', '-machine', 'pc', '-device', 'amd-iommu').out)).to.equal(
      "qemu-system-x86_64: -device amd-iommu: Parameter 'driver' expects a dynamic sysbus device type for the machine",
    );
    expect(qemuLine(check('10.0', '-machine', 'virt', '-device', 'arm-smmuv3,primary-bus=pcie.0').out)).to.equal(
      "qemu-system-aarch64: -device arm-smmuv3,primary-bus=pcie.0: Parameter 'driver' expects a pluggable device type",
    );
  });

  it('a model QEMU has but viommu does not model stays a note; on a PCI bus it takes its slot, and a collision names the model (7.2 and 10.0 printed these)', () => {
    const ok = check('10.0', '-machine', 'q35', '-device', 'pvpanic', '-device', 'virtio-rng-pci');
    expect(ok.code).to.equal(0);
    expect(ok.out).to.include('note: ignored -device pvpanic (not part of the vIOMMU negotiation)');
    expect(ok.out).to.include('note: -device virtio-rng-pci: plugged as an emulated PCI endpoint');
    const ahci = check('7.2', '-machine', 'q35', '-device', 'ahci,addr=3', '-device', 'e1000,addr=3');
    expect(qemuLine(ahci.out)).to.equal('qemu-system-x86_64: -device e1000,addr=3: PCI: slot 3 function 0 not available for e1000, in use by ich9-ahci,id=(null)');
    const virt = check('10.0', '-machine', 'virt', '-device', 'virtio-net,addr=2', '-device', 'e1000,addr=2');
    expect(qemuLine(virt.out)).to.equal('qemu-system-aarch64: -device e1000,addr=2: PCI: slot 2 function 0 not available for e1000, in use by virtio-net-pci,id=(null)');
  });

  it('-device help: exit 2 with one line', () => {
    const r = check('10.0', '-machine', 'q35', '-device', 'help');
    expect(r.code).to.equal(2);
    expect(r.err).to.equal('viommu: command line: -device help: QEMU prints help and exits (is_help_option); there is no configuration to check\n');
  });
});
