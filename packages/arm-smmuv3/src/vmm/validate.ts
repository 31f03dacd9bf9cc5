import { QemuError, type PropertyValues } from '@viommu/core';

/** `SMMU_SSID_MAX_BITS`. */
export const SMMU_SSID_MAX_BITS = 20;

/**
 * `smmu_validate_property` (master, hw/arm/smmuv3.c), in QEMU's order: accel-only properties
 * without accel, then what accel supports. viommu models a QEMU built with
 * `CONFIG_ARM_SMMUV3_ACCEL`.
 * @throws QemuError (stage `realize`).
 */
export function smmuValidateProperty(props: PropertyValues): void {
  const fail = (msg: string) => new QemuError(msg, 'realize');
  if (props.accel !== true) {
    if (props.ril !== true) throw fail('ril can only be disabled if accel=on');
    if (props.ats === true) throw fail('ats can only be enabled if accel=on');
    if (props.oas !== 44) throw fail('OAS must be 44 bits when accel=off');
    if (props.ssidsize !== 0) throw fail('ssidsize can only be set if accel=on');
    return;
  }
  if (props.stage !== '' && props.stage !== '1') throw fail('Only stage1 is supported for SMMUv3 with accel=on');
  if (props.oas !== 44 && props.oas !== 48) throw fail('OAS can only be set to 44 or 48 bits');
  if (Number(props.ssidsize) > SMMU_SSID_MAX_BITS) throw fail(`ssidsize must be in the range 0 to ${SMMU_SSID_MAX_BITS}`);
}
