import { CONNECT } from './pci-address.js';

/** The machine families libvirt treats apart (`qemuDomainIsQ35`, `qemuDomainIsI440FX`, `qemuDomainIsARMVirt`). */
export type Family = 'q35' | 'pc' | 'virt';

/**
 * The connect flags of `qemuDomainFillDevicePCIConnectFlagsIterInit`: a PCI Express endpoint is
 * one where the root is `pcie-root` (q35, virt), a conventional one elsewhere; virtio devices
 * are Express (QEMU_CAPS_VIRTIO_PCI_TRANSITIONAL, every QEMU viommu models) unless
 * `virtio-transitional`, which only works in conventional slots.
 */
export class ConnectFlags {
  readonly pcie: number;
  readonly pci = CONNECT.PCI_DEVICE | CONNECT.AUTOASSIGN;
  constructor(readonly family: Family | undefined) {
    this.pcie = (family === 'q35' || family === 'virt' ? CONNECT.PCIE_DEVICE : CONNECT.PCI_DEVICE) | CONNECT.AUTOASSIGN;
  }
  virtio(model: string | undefined): number {
    return model === 'virtio-transitional' ? this.pci : this.pcie;
  }

  /** `qemuDomainDeviceCalculatePCIConnectFlags` for a non-PCI `<controller>` (`model`: after libvirt's default). */
  controller(type: string, index: number, model: string | undefined): number {
    switch (type) {
      case 'sata':
        return this.family === 'q35' && index === 0 ? 0 : this.pci;
      case 'ide':
        return this.family === 'pc' && index === 0 ? 0 : this.pci;
      case 'usb':
        if (model === 'none' || (this.family === 'pc' && index === 0 && model === 'piix3-uhci')) return 0;
        return model === 'qemu-xhci' || model === 'nec-xhci' ? this.pcie : this.pci;
      case 'scsi':
        return model === 'virtio-scsi' || model === 'virtio-non-transitional' ? this.pcie : model === 'ncr53c90' ? 0 : this.pci;
      case 'virtio-serial':
        return this.virtio(model);
      default:
        return 0;
    }
  }

  /** … for `<interface>` with its model (`type='hostdev'` ones are hostdevs). */
  net(model: string): number {
    if (model === 'virtio' || model === 'virtio-non-transitional' || model === 'e1000e' || model === 'igb') return this.pcie;
    return model === 'usb-net' ? 0 : this.pci;
  }

  /** … for `<video>` with its model. */
  video(type: string): number {
    if (type === 'virtio' || type === 'bochs') return this.pcie;
    return ['vga', 'cirrus', 'vmvga', 'qxl'].includes(type) ? this.pci : 0;
  }
}
