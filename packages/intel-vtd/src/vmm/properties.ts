import type { MachineContext, ProfileId, PropertyDecl, PropertyValues } from '@viommu/core';
import { VTD_PROFILES } from './profiles.js';

/** QOM type name (`TYPE_INTEL_IOMMU_DEVICE`). */
export const TYPE_INTEL_IOMMU_DEVICE = 'intel-iommu';

const bool = (name: string, def: boolean, field: string, description: string): PropertyDecl => ({
  name,
  type: 'bool',
  default: def,
  field,
  description,
});

const DECLS = new Map<ProfileId, readonly PropertyDecl[]>();

/**
 * The QOM properties of `intel-iommu` in a profile: `vtd_properties` plus the inherited
 * `x86_iommu_properties`, with class defaults (before machine compat). Computed once per
 * profile and frozen (so `resolveProperties` indexes them once).
 */
export function vtdProperties(profile: ProfileId): readonly PropertyDecl[] {
  let decls = DECLS.get(profile);
  if (!decls) DECLS.set(profile, (decls = Object.freeze(declare(profile).map((d) => Object.freeze(d)))));
  return decls;
}

function declare(profile: ProfileId): PropertyDecl[] {
  const p = VTD_PROFILES[profile];
  const out: PropertyDecl[] = [
    { name: 'version', type: 'uint32', default: 0, field: 'version', description: 'unused: VER reads 0x10' },
    { name: 'eim', type: 'OnOffAuto', default: 'auto', field: 'intr_eim', description: 'extended interrupt mode (x2APIC)' },
  ];
  if (p.has.buggyEim) out.push(bool('x-buggy-eim', false, 'buggy_eim', 'relaxes the EIM checks'));
  out.push(
    { name: 'aw-bits', type: 'uint8', default: p.awBitsDefault, field: 'aw_bits', description: 'guest address width: 39 or 48' },
    bool('caching-mode', false, 'caching_mode', 'CAP.CM; needed for device assignment'),
    bool(p.scalableProp, false, 'scalable_mode', 'scalable-mode translation (ECAP.SMTS)'),
  );
  if (p.fstsProp) out.push(bool(p.fstsProp, false, 'fsts', 'first-stage translation (ECAP.FSTS), for nesting on the host'));
  if (p.has.fs1gp) out.push(bool('fs1gp', true, 'fs1gp', 'CAP.FS1GP with first stage'));
  out.push(bool('snoop-control', false, 'snoop_control', 'ECAP.SC'));
  out.push(
    p.pasidProp.type === 'bool'
      ? bool(p.pasidProp.name, false, 'pasid', 'ECAP.PASID (needs scalable mode)')
      : { name: p.pasidProp.name, type: 'uint8', default: 0, field: 'pasid', description: 'PASID width; 0 = no PASID, else ECAP.PSS = value - 1' },
  );
  if (p.has.svm) out.push(bool('svm', false, 'svm', 'shared virtual memory: ECAP.PRS/PDS/NWFS'));
  if (p.has.dmaDrain) out.push(bool('dma-drain', true, 'dma_drain', 'CAP.DWD/DRD'));
  if (p.has.staleTm) out.push(bool('stale-tm', false, 'stale_tm', 'tolerate the stale TM bit'));
  out.push(bool('dma-translation', true, 'dma_translation', 'off: interrupt-remapping-only IOMMU (no SAGAW)'));
  out.push(
    { name: 'intremap', type: 'OnOffAuto', default: 'auto', field: 'intr_supported', description: 'interrupt remapping' },
    bool('device-iotlb', false, 'dt_supported', 'ECAP.DT (ATS)'),
  );
  if (p.has.pt) out.push(bool('pt', true, 'pt_supported', 'ECAP.PT pass-through'));
  return out;
}

/** The compat properties a machine type forces on `intel-iommu` (oldest machine wins on overlap). */
export function vtdCompatProps(profile: ProfileId, machine: MachineContext): Record<string, string> {
  const v = machine.compatVersion;
  const out: Record<string, string> = {};
  if (!v) return out;
  for (const c of VTD_PROFILES[profile].compat) {
    if (v[0] < c.upTo[0] || (v[0] === c.upTo[0] && v[1] <= c.upTo[1])) Object.assign(out, c.props);
  }
  return out;
}

/** The profile-independent view of resolved properties that checks and registers read. */
export interface VtdConfig {
  readonly awBits: number;
  readonly cachingMode: boolean;
  readonly scalable: boolean;
  readonly fsts: boolean;
  readonly fs1gp: boolean;
  /** PASID configured (`x-pasid-mode=on` / `pasid-bits` ≠ 0). */
  readonly pasid: boolean;
  readonly pasidBits: number;
  readonly svm: boolean;
  readonly snoopControl: boolean;
  readonly dmaDrain: boolean;
  readonly dmaTranslation: boolean;
  readonly deviceIotlb: boolean;
  readonly pt: boolean;
  readonly buggyEim: boolean;
  readonly eim: string;
  readonly intremap: string;
}

/** Reads resolved properties through the profile's property names. */
export function vtdConfig(profile: ProfileId, props: PropertyValues): VtdConfig {
  const p = VTD_PROFILES[profile];
  const pasidValue = props[p.pasidProp.name];
  const pasidBits = typeof pasidValue === 'number' ? pasidValue : 0;
  return {
    awBits: Number(props['aw-bits']),
    cachingMode: props['caching-mode'] === true,
    scalable: props[p.scalableProp] === true,
    fsts: p.fstsProp !== null && props[p.fstsProp] === true,
    fs1gp: props.fs1gp === true,
    pasid: p.pasidProp.type === 'bool' ? pasidValue === true : pasidBits !== 0,
    pasidBits,
    svm: props.svm === true,
    snoopControl: props['snoop-control'] === true,
    dmaDrain: p.has.dmaDrain ? props['dma-drain'] === true : true,
    dmaTranslation: props['dma-translation'] === true,
    deviceIotlb: props['device-iotlb'] === true,
    pt: props.pt === true,
    buggyEim: props['x-buggy-eim'] === true,
    eim: String(props.eim),
    intremap: String(props.intremap),
  };
}
