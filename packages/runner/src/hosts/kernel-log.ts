/** Kernel facts a boot log (or a `uname -a` line next to it) prints besides the IOMMU units. */
export interface KernelLogFacts {
  /** `Linux version 6.12.38+deb13-amd64 (…)`, else the `BOOT_IMAGE=…vmlinuz-<release>` of the command line. */
  readonly release?: string;
  /** `Kernel command line: …`. */
  readonly cmdline?: string;
  readonly found: string[];
}

/** `Linux version <release> (…)` of the boot banner, or `uname -a`: `Linux <host> <release> #…`. */
const LINUX_VERSION = /\bLinux version (\d+\.\d+\S*)|^Linux \S+ (\d+\.\d+\S*) #/;
const CMDLINE = /\bKernel command line:\s*(.*?)\s*$/;
const BOOT_IMAGE = /\bBOOT_IMAGE=\S*?vmlinuz-(\d+\.\d+\S*)/;

/** Reads the kernel release and command line from boot-log lines (the first of each wins). */
export function kernelFactsFromLog(lines: readonly string[]): KernelLogFacts {
  let release: string | undefined;
  let cmdline: string | undefined;
  let bootImage: { release: string; line: number } | undefined;
  const found: string[] = [];
  lines.forEach((line, i) => {
    let m: RegExpExecArray | null;
    if (release === undefined && (m = LINUX_VERSION.exec(line))) {
      release = (m[1] ?? m[2])!;
      found.push(`line ${i + 1}: kernel release ${release}`);
    } else if (cmdline === undefined && (m = CMDLINE.exec(line))) {
      cmdline = m[1]!;
      found.push(`line ${i + 1}: kernel command line '${cmdline}'`);
    }
    if (bootImage === undefined && (m = BOOT_IMAGE.exec(line))) bootImage = { release: m[1]!, line: i + 1 };
  });
  if (release === undefined && bootImage) {
    release = bootImage.release;
    found.push(`line ${bootImage.line}: kernel release ${release} (from BOOT_IMAGE)`);
  }
  return { ...(release !== undefined ? { release } : {}), ...(cmdline !== undefined ? { cmdline } : {}), found };
}
