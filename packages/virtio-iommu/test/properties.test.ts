import { expect } from 'chai';
import { TYPE_VIRTIO_IOMMU_PCI, VirtioIommuPlugin, virtioIommuPciProperties } from '../src/index.js';
import { ctx, machine, refusal } from './helpers.js';

const plugin = new VirtioIommuPlugin();

describe('virtio-iommu-pci properties', () => {
  it('7.2 lists exactly the properties Debian QEMU 7.2 prints for -device virtio-iommu-pci,help', () => {
    // `qemu-system-x86_64 -device virtio-iommu-pci,help` (7.2.22), minus the child `virtio-backend`.
    const names = virtioIommuPciProperties('7.2').map((d) => d.name);
    expect(names).to.deep.equal([
      'acpi-index', 'addr', 'aer', 'any_layout', 'ats', 'boot-bypass', 'class', 'disable-legacy', 'disable-modern',
      'event_idx', 'failover_pair_id', 'indirect_desc', 'iommu_platform', 'len-reserved-regions', 'migrate-extra',
      'modern-pio-notify', 'multifunction', 'notify_on_empty', 'packed', 'page-per-vq', 'primary-bus', 'queue_reset',
      'rombar', 'romfile', 'romsize', 'use-disabled-flag', 'use-started', 'virtio-pci-bus-master-bug-migration',
      'x-ats-page-aligned', 'x-disable-legacy-check', 'x-disable-pcie', 'x-ignore-backend-features',
      'x-pcie-deverr-init', 'x-pcie-extcap-init', 'x-pcie-flr-init', 'x-pcie-lnkctl-init', 'x-pcie-lnksta-dllla',
      'x-pcie-pm-init',
    ]);
  });

  it('9.0+ profiles add granule (GranuleMode, default host) and aw-bits (uint8, default 64)', () => {
    for (const p of ['10.0', '10.2', 'upstream'] as const) {
      const byName = new Map(virtioIommuPciProperties(p).map((d) => [d.name, d]));
      expect(byName.get('granule')).to.include({ default: 'host' });
      expect(byName.get('granule')!.type).to.deep.equal({ enum: ['4k', '8k', '16k', '64k', 'host'] });
      expect(byName.get('aw-bits')).to.include({ type: 'uint8', default: 64 });
      expect(byName.has('len-reserved-regions')).to.equal(false);
    }
  });

  it('7.2 refuses granule and aw-bits with QEMU 7.2\'s message', () => {
    // qemu-system-x86_64 -M q35 -device virtio-iommu-pci,aw-bits=48 (7.2.22)
    expect(refusal(() => plugin.realize(ctx('7.2', machine('q35'), 'aw-bits=48'))).message).to.equal(
      "Property 'virtio-iommu-pci.aw-bits' not found",
    );
    expect(refusal(() => plugin.realize(ctx('7.2', machine('q35'), 'granule=4k'))).message).to.equal(
      "Property 'virtio-iommu-pci.granule' not found",
    );
  });

  it('keyval errors carry QEMU\'s text and the option-parse stage', () => {
    const e = refusal(() => plugin.realize(ctx('7.2', machine('q35'), 'boot-bypass=maybe')));
    expect(e.message).to.equal("Parameter 'boot-bypass' expects 'on' or 'off'");
    expect(e.stage).to.equal('option-parse');
    expect(refusal(() => plugin.realize(ctx('10.0', machine('q35'), 'aw-bits=256'))).message).to.equal(
      "Parameter 'aw-bits' expects uint8_t",
    );
    expect(refusal(() => plugin.realize(ctx('10.0', machine('q35'), 'granule=2k'))).message).to.equal(
      "Parameter 'granule' does not accept value '2k'",
    );
    expect(refusal(() => plugin.realize(ctx('7.2', machine('q35'), 'virtio-backend=x'))).message).to.equal(
      "Property 'virtio-iommu-pci.virtio-backend' is not writable",
    );
  });

  it('addr takes SS or SS.F in hex, slot ≤ 0x1f, function ≤ 7', () => {
    for (const bad of ['zz', '0x20', '20', '1.8']) {
      expect(refusal(() => plugin.realize(ctx('7.2', machine('q35'), `addr=${bad}`))).message).to.equal(
        `Property 'virtio-iommu-pci.addr' doesn't take value '${bad}'`,
      );
    }
    const dev = plugin.realize(ctx('7.2', machine('q35'), 'addr=1f.7'));
    expect(dev.props.addr).to.equal(0xff);
  });

  it('-global values are checked before the options, with the global prefix', () => {
    const m = machine('q35', { globals: { [TYPE_VIRTIO_IOMMU_PCI]: { foo: '1' } } });
    expect(refusal(() => plugin.realize(ctx('7.2', m))).message).to.equal(
      "can't apply global virtio-iommu-pci.foo=1: Property 'virtio-iommu-pci.foo' not found",
    );
    const m2 = machine('q35', { globals: { [TYPE_VIRTIO_IOMMU_PCI]: { 'boot-bypass': 'x' } } });
    expect(refusal(() => plugin.realize(ctx('7.2', m2))).message).to.equal(
      "can't apply global virtio-iommu-pci.boot-bypass=x: Parameter 'boot-bypass' expects 'on' or 'off'",
    );
    const m3 = machine('q35', { globals: { [TYPE_VIRTIO_IOMMU_PCI]: { 'boot-bypass': 'off' } } });
    expect(plugin.realize(ctx('7.2', m3)).registers().bypass).to.equal(0n);
  });

  it('7.2 reserved-regions[i] exist only below len-reserved-regions and parse as QEMU does', () => {
    const sbsa = machine('sbsa-ref');
    const msg = (opts: string) => refusal(() => plugin.realize(ctx('7.2', sbsa, opts))).message;
    expect(msg('reserved-regions[0]=0x1000:0x2000:1')).to.equal("Property 'virtio-iommu-pci.reserved-regions[0]' not found");
    expect(msg('len-reserved-regions=1,reserved-regions[1]=0x1000:0x2000:1')).to.equal(
      "Property 'virtio-iommu-pci.reserved-regions[1]' not found",
    );
    expect(msg('len-reserved-regions=1,reserved-regions[0]=zz:0x2000:1')).to.equal(
      "start address of 'reserved-regions[0]' must be a hexadecimal integer",
    );
    expect(msg('len-reserved-regions=1,reserved-regions[0]=0x1000:0x2000:x')).to.equal(
      "type of 'reserved-regions[0]' must be a non-negative decimal integer",
    );
    expect(msg('len-reserved-regions=1,reserved-regions[0]=0x1000')).to.equal("reserved region fields must be separated with ':'");
    // Well-formed: the realize then fails on sbsa-ref's missing hotplug handler.
    expect(msg('len-reserved-regions=1,reserved-regions[0]=1000:2000:1')).to.equal(
      'Check your machine implements a hotplug handler for the virtio-iommu-pci device',
    );
  });
});

describe('virtio-iommu config (the registers the guest reads)', () => {
  it('7.2: TARGET_PAGE_MASK, 64-bit input range, 32-bit domain range, probe size 512, bypass on', () => {
    const regs = plugin.realize(ctx('7.2', machine('q35'))).registers();
    expect(regs).to.deep.equal({
      page_size_mask: 0xfffffffffffff000n,
      'input_range.start': 0n,
      'input_range.end': 0xffffffffffffffffn,
      'domain_range.start': 0n,
      'domain_range.end': 0xffffffffn,
      probe_size: 512n,
      bypass: 1n,
    });
    expect(regs.page_size_mask! >> 63n).to.equal(1n);
  });

  it('10.0 q35 defaults aw-bits to 39 (pc_compat_defaults), virt to 48 (arm_virt_compat)', () => {
    expect(plugin.realize(ctx('10.0', machine('q35'))).registers()['input_range.end']).to.equal(0x7fffffffffn);
    expect(plugin.realize(ctx('10.0', machine('virt'))).registers()['input_range.end']).to.equal(0xffffffffffffn);
    expect(plugin.realize(ctx('10.0', machine('pc'))).registers()['input_range.end']).to.equal(0xffffffffffffffffn);
  });

  it('machine types up to 8.2 get granule=4k and aw-bits=64 (hw_compat_8_2)', () => {
    const old = plugin.realize(ctx('10.0', machine('q35', { compat: [8, 2], hostPageSize: 0x10000n }))).registers();
    expect(old['input_range.end']).to.equal(0xffffffffffffffffn);
    expect(old.page_size_mask).to.equal(0xfffffffffffff000n);
    const v90 = plugin.realize(ctx('10.0', machine('virt', { compat: [9, 0], hostPageSize: 0x10000n }))).registers();
    expect(v90['input_range.end']).to.equal(0xffffffffffffn);
    expect(v90.page_size_mask).to.equal(0xffffffffffff0000n);
  });

  it('granule=host follows the host page size; explicit granules ignore it; options beat compat', () => {
    const arm64k = machine('virt', { hostPageSize: 0x10000n });
    expect(plugin.realize(ctx('10.0', arm64k)).registers().page_size_mask).to.equal(0xffffffffffff0000n);
    expect(plugin.realize(ctx('10.0', machine('virt', { hostPageSize: 0x10000n }), 'granule=16k')).registers().page_size_mask).to.equal(
      0xffffffffffffc000n,
    );
    expect(plugin.realize(ctx('10.0', machine('q35'), 'granule=8k,aw-bits=64')).registers()).to.include({
      page_size_mask: 0xffffffffffffe000n,
      'input_range.end': 0xffffffffffffffffn,
    });
  });

  it('aw-bits outside [32,64] is refused at realize', () => {
    for (const v of ['31', '65', '0']) {
      const e = refusal(() => plugin.realize(ctx('10.0', machine('q35'), `aw-bits=${v}`)));
      expect(e.message).to.equal('aw-bits must be within [32,64]');
      expect(e.stage).to.equal('realize');
    }
    expect(plugin.realize(ctx('10.0', machine('q35'), 'aw-bits=32')).registers()['input_range.end']).to.equal(0xffffffffn);
  });

  it('boot-bypass=off clears config.bypass', () => {
    expect(plugin.realize(ctx('10.0', machine('virt'), 'boot-bypass=off')).registers().bypass).to.equal(0n);
  });
});
