import { hex, InputError, parseHexU64, type HostIommuUnit, type ParsedHostUnits } from '@viommu/core';

/**
 * The DRHD probe line of `alloc_iommu` (Linux `drivers/iommu/intel/dmar.c`):
 * `DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a`, and the
 * form older kernels printed (`"IOMMU %d: …"` of `seq_id`), `dmar: IOMMU 0: reg_base_addr … ver … cap … ecap …`.
 * Anything in front (timestamps, `kernel:`, syslog and journal prefixes, quoting) is ignored.
 */
const UNIT_LINE =
  /(?:(?:DMAR|dmar):\s+(?:(dmar\d+)|IOMMU\s+(\d+)):\s+)?(?:reg_base_addr\s+([0-9a-fA-F]+)\s+)?ver\s+(\d+):(\d+)\s+cap\s+([0-9a-fA-F]+)\s+ecap\s+([0-9a-fA-F]+)(?![0-9A-Za-z])/;

/** A line that means to be a DRHD probe line; if `UNIT_LINE` does not match it, it was cut. */
const UNIT_TRIGGER = /reg_base_addr|\bver\s+\d+:\d+\s+cap\b/;

/** `dmar_parse_one_drhd` (`DRHD base: %#016Lx flags: %#x`): one line per DRHD, before its unit line. */
const DRHD_LINE = /\bDRHD base:\s+0x([0-9a-fA-F]+)\s+flags:/;

/** Markdown escapes that copied logs carry (`reg\_base\_addr`, `\[ 0.10\]`). */
const unescape = (line: string) => line.replace(/\\([_[\]])/g, '$1');

/**
 * Reads the VT-d units from kernel boot-log lines (`dmesg`, `journalctl -k`, syslog, with or
 * without timestamps). Registers go from text to bigint directly. A unit printed without its
 * `dmarN:` head gets the next free `dmarN` name (listed in `assumed`); `IOMMU N` (old form)
 * is the kernel's `dmarN` (`iommu->name` is `dmar%d` of `seq_id` in both).
 * @param where names the input in errors (a file name).
 * @throws InputError naming the line number and its text when a probe line is cut or garbled,
 *   when a `DRHD base:` line has no unit line (the log was cut after the ACPI walk), or when one
 *   unit is printed twice with different values (two boots in one log).
 */
export function parseDmarBootLog(lines: readonly string[], where: string): ParsedHostUnits {
  const units: HostIommuUnit[] = [];
  const found: string[] = [];
  const assumed: string[] = [];
  const raw: string[] = [];
  const headless: { unit: Omit<HostIommuUnit, 'name'>; line: number }[] = [];
  const drhds: { base: bigint; line: number; text: string }[] = [];
  lines.forEach((text, i) => {
    const line = unescape(text);
    const drhd = DRHD_LINE.exec(line);
    if (drhd) drhds.push({ base: parseHexU64(drhd[1]!, 'DRHD base'), line: i + 1, text });
    if (!UNIT_TRIGGER.test(line)) return;
    const at = `line ${i + 1}`;
    const m = UNIT_LINE.exec(line);
    if (!m) throw new InputError(`truncated or malformed DMAR unit line (expected '<dmarN>: reg_base_addr <hex> ver <M>:<m> cap <hex> ecap <hex>'): '${text.trim()}'`, `${where}:${i + 1}`);
    const [, name, seq, base, major, minor, cap, ecap] = m;
    const reg = (v: string, what: string) => {
      try {
        return parseHexU64(v, what);
      } catch (e) {
        throw new InputError(`${(e as Error).message}: '${text.trim()}'`, `${where}:${i + 1}`);
      }
    };
    const unit = {
      vendor: 'intel',
      registers: { cap: reg(cap!, 'cap'), ecap: reg(ecap!, 'ecap') },
      ...(base !== undefined ? { regBase: reg(base, 'reg_base_addr') } : {}),
      version: `${major}:${minor}`,
    };
    raw.push(text);
    const unitName = name ?? (seq !== undefined ? `dmar${seq}` : undefined);
    if (unitName === undefined) {
      headless.push({ unit, line: i + 1 });
      return;
    }
    const prev = units.find((u) => u.name === unitName);
    if (prev) {
      if (sameUnit(prev, unit)) return;
      throw new InputError(`${unitName} printed again with other values (two boots in one log? capture one boot: journalctl -k -b 0): '${text.trim()}'`, `${where}:${i + 1}`);
    }
    units.push({ name: unitName, ...unit });
    found.push(`${at}: ${describeVtdUnit({ name: unitName, ...unit })}`);
  });
  const lost = drhds.find((d) => !units.some((u) => u.regBase === d.base) && !headless.some((h) => h.unit.regBase === d.base));
  if (lost) {
    throw new InputError(
      `DRHD base ${hex(lost.base)} has no 'dmarN: reg_base_addr ${lost.base.toString(16)} …' unit line (the log is cut): '${lost.text.trim()}'`,
      `${where}:${lost.line}`,
    );
  }
  for (const { unit, line } of headless) {
    let n = 0;
    while (units.some((u) => u.name === `dmar${n}`)) n++;
    const named = { name: `dmar${n}`, ...unit };
    units.push(named);
    found.push(`line ${line}: ${describeVtdUnit(named)}`);
    assumed.push(`line ${line}: the unit's name was not printed; named ${named.name}${unit.regBase === undefined ? ', MMIO base unknown' : ''}`);
  }
  return { units, found, assumed, raw };
}

function sameUnit(a: Omit<HostIommuUnit, 'name'>, b: Omit<HostIommuUnit, 'name'>): boolean {
  return a.registers.cap === b.registers.cap && a.registers.ecap === b.registers.ecap && a.regBase === b.regBase && a.version === b.version;
}

/** `dmar0 (reg_base_addr 0xfed90000, ver 1:0): cap 0x… ecap 0x…` for import reports. */
export function describeVtdUnit(u: HostIommuUnit): string {
  const head = [u.regBase !== undefined ? `reg_base_addr ${hex(u.regBase)}` : '', u.version ? `ver ${u.version}` : ''].filter(Boolean).join(', ');
  const regs = Object.entries(u.registers).map(([k, v]) => `${k} ${hex(v)}`).join(' ');
  return `VT-d unit ${u.name}${head ? ` (${head})` : ''}: ${regs}`;
}
