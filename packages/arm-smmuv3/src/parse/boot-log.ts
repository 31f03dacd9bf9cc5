import { hex, InputError, parseHexU64, type HostIommuUnit, type ParsedHostUnits } from '@viommu/core';
import { idRegsFromFeatures } from '../host/features.js';

/** `dev_info(smmu->dev, …)` prefix of every arm-smmu-v3 driver message: driver name, device name. */
const DEV = String.raw`arm-smmu-v3\s+(\S+?):\s+`;
/**
 * `arm_smmu_device_hw_probe` (Linux `drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c`):
 * `ias %lu-bit, oas %lu-bit (features 0x%08x)`; newer kernels print `oas %lu-bit (features 0x%08x)`.
 */
const PROBE = new RegExp(`${DEV}(?:ias\\s+(\\d+)-bit,\\s+)?oas\\s+(\\d+)-bit\\s+\\(features\\s+0x([0-9a-fA-F]+)\\)`);
/** `parse_driver_options` / `acpi_smmu_get_options`: `option mask 0x%x`. */
const OPTIONS = new RegExp(`${DEV}option mask\\s+0x([0-9a-fA-F]+)(?![0-9A-Za-z])`);
/** `arm_smmu_setup_msis`: MSIs unusable, wired interrupts used. */
const MSI_ABSENT = new RegExp(`${DEV}msi_domain absent`);
/** `tegra241_cmdqv_probe` companion (NVIDIA Grace CMDQV). */
const CMDQV = new RegExp(`${DEV}found companion CMDQV device:\\s+(\\S+)`);
/** A line that means to be a probe or option line; if neither regex matches it, it was cut. */
const TRIGGER = new RegExp(`arm-smmu-v3\\s+\\S+:\\s+(?:ias\\b|oas\\b|option mask\\b)`);

interface Pending {
  name: string;
  extra: Record<string, string | number | boolean | bigint>;
  probeLine?: number;
  firstLine: number;
}

/**
 * Reads the SMMUv3 units from kernel boot-log lines. The log prints no ID register; the unit
 * keeps the printed `features` word, `ias`, `oas`, `options` (bigint words, widths in bits) in
 * `extra`, `registers` stays empty, and the driver model rebuilds IDR0..IDR5 from them
 * (`idRegsFromFeatures`); every field so rebuilt is listed in `assumed`, never as observed.
 * @throws InputError naming the line when a probe or option line is cut or garbled, when a unit
 *   has an option line but no probe line, or when a unit is printed twice with other values.
 */
export function parseSmmuBootLog(lines: readonly string[], where: string): ParsedHostUnits {
  const pending = new Map<string, Pending>();
  const raw: string[] = [];
  const at = (i: number) => `${where}:${i + 1}`;
  const set = (name: string, i: number, key: string, v: string | number | boolean | bigint, text: string) => {
    const p = pending.get(name) ?? { name, extra: {}, firstLine: i + 1 };
    pending.set(name, p);
    if (key in p.extra && p.extra[key] !== v) {
      throw new InputError(`${name} printed again with another ${key} (two boots in one log? capture one boot: journalctl -k -b 0): '${text.trim()}'`, at(i));
    }
    p.extra[key] = v;
    return p;
  };
  const word = (v: string, what: string, i: number, text: string) => {
    try {
      return parseHexU64(v, what, 32);
    } catch (e) {
      throw new InputError(`${(e as Error).message}: '${text.trim()}'`, at(i));
    }
  };
  lines.forEach((text, i) => {
    let m: RegExpExecArray | null;
    if ((m = PROBE.exec(text))) {
      const [, name, ias, oas, features] = m;
      if (ias !== undefined) set(name!, i, 'ias', Number(ias), text);
      set(name!, i, 'oas', Number(oas), text);
      set(name!, i, 'features', word(features!, 'features', i, text), text).probeLine ??= i + 1;
    } else if ((m = OPTIONS.exec(text))) {
      set(m[1]!, i, 'options', word(m[2]!, 'option mask', i, text), text);
    } else if ((m = MSI_ABSENT.exec(text))) {
      set(m[1]!, i, 'msiDomainAbsent', true, text);
    } else if ((m = CMDQV.exec(text))) {
      set(m[1]!, i, 'cmdqvCompanion', m[2]!, text);
    } else if (TRIGGER.test(text)) {
      throw new InputError(`truncated or malformed arm-smmu-v3 line (expected '<dev>: ias <N>-bit, oas <N>-bit (features 0x<hex>)' or '<dev>: option mask 0x<hex>'): '${text.trim()}'`, at(i));
    } else return;
    raw.push(text);
  });
  const units: HostIommuUnit[] = [];
  const found: string[] = [];
  const assumed: string[] = [];
  for (const p of pending.values()) {
    if (p.probeLine === undefined) {
      throw new InputError(`${p.name} has no 'ias …, oas … (features 0x…)' probe line (the log is cut after line ${p.firstLine}?)`, where);
    }
    const { features, ias, oas } = p.extra as { features: bigint; ias?: number; oas: number };
    try {
      assumed.push(...smmuProbeLineAssumed(p.name, features, ias ?? null, oas));
    } catch (e) {
      throw new InputError((e as Error).message, at(p.probeLine - 1));
    }
    units.push({ name: p.name, vendor: 'arm', registers: {}, extra: p.extra });
    found.push(`line ${p.probeLine}: SMMUv3 unit ${p.name}: ${ias !== undefined ? `ias ${ias}-bit, ` : ''}oas ${oas}-bit, features ${hex(features)}${p.extra.options !== undefined ? `, option mask ${hex(p.extra.options as bigint)}` : ''}`);
  }
  return { units, found, assumed, raw };
}

/**
 * What a unit known only by its probe line leaves assumed: the ID register fields the driver
 * model rebuilds from the features word (`idRegsFromFeatures`), and a missing ias.
 * @throws RangeError when `oas` has no IDR5.OAS encoding.
 */
export function smmuProbeLineAssumed(name: string, features: bigint, ias: number | null, oas: number): string[] {
  const derived = idRegsFromFeatures(Number(features), ias, oas).assumed;
  return [
    `${name}: ID registers not printed; IDR0..IDR5 rebuilt from the features word: ${derived.join('; ')}`,
    ...(ias === null ? [`${name}: ias not printed (the newer probe line prints oas only)`] : []),
  ];
}
