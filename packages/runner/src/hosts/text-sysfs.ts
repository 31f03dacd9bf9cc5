import type { HostFs } from './host-fs.js';

const GREP_LINE = /^\s*(\/(?:sys|proc)\/\S+?):\s?(.*)$/;
const CAT_LINE = /^\s*\$\s+cat\s+(\/(?:sys|proc)\/\S+)\s*$/;

/** True when the text holds sysfs values in `grep -H` (`path:value`) or `$ cat path` transcript form. */
export function looksLikeSysfsText(lines: readonly string[]): boolean {
  return lines.some((l) => GREP_LINE.test(l) || CAT_LINE.test(l));
}

/**
 * A capture printed as text — `grep -H . /sys/class/iommu/*\/intel-iommu/*` output
 * (`/sys/…/cap:d2008c40660462`) or a shell transcript (`$ cat /sys/…/cap`, value on the next
 * line) — as a read-only file tree.
 */
export function textSysfsFs(lines: readonly string[], where: string): HostFs {
  const files = new Map<string, string>();
  lines.forEach((line, i) => {
    const cat = CAT_LINE.exec(line);
    if (cat) {
      const next = lines[i + 1];
      if (next !== undefined && !CAT_LINE.test(next)) files.set(cat[1]!, next.trim());
      return;
    }
    const m = GREP_LINE.exec(line);
    if (m) files.set(m[1]!, m[2]!.trim());
  });
  const children = (p: string) => {
    const pre = `${p.replace(/\/+$/, '')}/`;
    return [...new Set([...files.keys()].filter((k) => k.startsWith(pre)).map((k) => k.slice(pre.length).split('/')[0]!))].sort();
  };
  return {
    where,
    list: (p) => (children(p).length ? children(p) : undefined),
    read: (p) => files.get(p),
    readBytes: () => undefined,
    readlink: () => undefined,
    exists: (p) => files.has(p) || children(p).length > 0,
  };
}
