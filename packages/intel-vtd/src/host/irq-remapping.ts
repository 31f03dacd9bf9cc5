import { memoizePure, type HostIommuUnit } from '@viommu/core';
import { parseIntelIommuCmdline, vtdUnitCaps } from './unit.js';

/**
 * `nointremap` / `intremap=` (`setup_nointremap`, `setup_irqremap` in
 * drivers/iommu/irq_remapping.c): true when the command line sets `disable_irq_remap`.
 * `intremap=` options are comma-separated and prefix-matched (`strncmp`); the last `on`/`off` wins.
 */
export const irqRemapDisabled: (cmdline: string) => boolean = memoizePure((cmdline: string): boolean => {
  let disabled = false;
  for (const word of cmdline.split(/\s+/)) {
    if (word === 'nointremap') disabled = true;
    if (!word.startsWith('intremap=')) continue;
    for (const opt of word.slice('intremap='.length).split(',')) {
      if (opt.startsWith('on')) disabled = false;
      else if (opt.startsWith('off')) disabled = true;
    }
  }
  return disabled;
});

/**
 * `irq_remapping_enabled` after `intel_prepare_irq_remapping` (drivers/iommu/intel/irq_remapping.c):
 * on unless the command line disables it, and only when every DRHD has ECAP.IR ("First make sure
 * all IOMMUs support IRQ remapping"). When on, each unit's IR domain carries
 * `IRQ_DOMAIN_FLAG_ISOLATED_MSI`, so `msi_device_has_isolated_msi` holds for every device.
 * Not modelled (assumed favourable): the DMAR table's INTR_REMAP flag, IO-APICs without a
 * DRHD scope, the x2APIC EIM check, the chipset erratum (`irq_remap_broken`).
 */
export function irqRemappingEnabled(units: readonly HostIommuUnit[], cmdline: string): boolean {
  if (irqRemapDisabled(cmdline)) return false;
  const options = parseIntelIommuCmdline(cmdline);
  let drhds = 0;
  for (const u of units) {
    if (u.vendor !== 'intel') continue;
    drhds++;
    if (!vtdUnitCaps(u, options).irSupport) return false;
  }
  return drhds > 0;
}
