import { hex, InputError, type HostIommuUnit, type ParsedHostUnits } from '@viommu/core';
import { parseDmarBootLog } from '@viommu/intel-vtd';
import { parseSmmuBootLog } from '@viommu/arm-smmuv3';
import { kernelFactsFromLog, type KernelLogFacts } from './kernel-log.js';
import { checkSize, MAX_LOG_CHARS } from '../input/limits.js';

/** Everything a kernel boot log says about a host's IOMMU side. */
export interface BootLogFacts extends ParsedHostUnits {
  readonly kernel: KernelLogFacts;
}

/** Splits a log into lines (LF or CRLF). */
export function logLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/**
 * Reads a boot log (`dmesg`, `dmesg -T`, `journalctl -k`, syslog; timestamps or not) with every
 * vendor parser: VT-d DRHD lines, SMMUv3 probe lines, the kernel release and command line.
 * @throws InputError naming the line of a cut or garbled unit line; for a log over `MAX_LOG_CHARS`.
 */
export function readBootLog(lines: readonly string[], where: string): BootLogFacts {
  checkSize(lines.reduce((n, l) => n + l.length + 1, -1), MAX_LOG_CHARS, 'kernel log', where);
  const parts = [parseDmarBootLog(lines, where), parseSmmuBootLog(lines, where)];
  const kernel = kernelFactsFromLog(lines);
  return {
    units: parts.flatMap((p) => p.units),
    found: [...kernel.found, ...parts.flatMap((p) => p.found)],
    assumed: parts.flatMap((p) => p.assumed),
    raw: parts.flatMap((p) => p.raw),
    kernel,
  };
}

/** Says why a log with no unit line has none, as precisely as the log allows. */
export function noUnitsMessage(lines: readonly string[]): string {
  if (lines.some((l) => /AMD-Vi:/.test(l))) return 'only AMD-Vi lines: viommu has no AMD IOMMU model';
  if (lines.some((l) => /DMAR:.*(?:IOMMU disabled|Parse DMAR table failure)|DMAR-IR:|ACPI: DMAR/.test(l))) {
    return "ACPI DMAR lines but no 'DMAR: dmarN: reg_base_addr …' unit line: VT-d did not probe (boot with intel_iommu=on), or the log is cut";
  }
  return "no IOMMU unit line ('DMAR: dmarN: reg_base_addr … cap … ecap …' or 'arm-smmu-v3 …: ias …, oas … (features …)')";
}

/** Units by name from two sources; a unit both print must agree. */
export function mergeUnits(a: readonly HostIommuUnit[], b: readonly HostIommuUnit[], where: string): HostIommuUnit[] {
  const out = [...a];
  for (const u of b) {
    const prev = out.find((p) => p.name === u.name);
    if (!prev) out.push(u);
    else {
      for (const [k, v] of Object.entries(u.registers)) {
        if (prev.registers[k] !== undefined && prev.registers[k] !== v) {
          throw new InputError(`${u.name} ${k} is ${hex(prev.registers[k]!)} in sysfs but ${hex(v)} in the boot log (a log of another boot?)`, where);
        }
      }
    }
  }
  return out;
}
