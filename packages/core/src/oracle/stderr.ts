/**
 * Reading what QEMU prints on stderr. `error_report()` (util/error-report.c) prints
 * `<program>: <location>: <message>`, where the location is the command-line option being
 * processed (`-device intel-iommu,nosuchprop=1`) or absent; `warn_report()` puts
 * `warning: ` after the program; `error_append_hint()` text follows on its own lines.
 */

const PROGRAM = /^qemu-system-[\w-]+: /;
const WARNING = /^qemu-system-[\w-]+: warning: /;
const INFO = /^qemu-system-[\w-]+: info: /;

/** Lines of `stderr`, without the trailing empty one. */
function lines(stderr: string): string[] {
  return stderr.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
}

/** The first line QEMU printed as an error (not `warning:`/`info:`), or `undefined`. */
export function qemuErrorLine(stderr: string): string | undefined {
  return lines(stderr).find((l) => PROGRAM.test(l) && !WARNING.test(l) && !INFO.test(l));
}

/** Every `warning:` line QEMU printed, as printed. */
export function qemuWarnings(stderr: string): string[] {
  return lines(stderr).filter((l) => WARNING.test(l));
}

/**
 * QEMU's message without the `qemu-system-x86_64: ` program prefix and the option location:
 * `qemu-system-x86_64: -device intel-iommu,nosuchprop=1: Property 'intel-iommu.nosuchprop' not found`
 * → `Property 'intel-iommu.nosuchprop' not found`.
 *
 * Given the `args` QEMU ran with, the location is matched exactly (an option value may hold
 * `: ` or spaces, as JSON `-device` does); without them, a location is `-option value: ` with
 * no space in the value.
 */
export function stripQemuPrefix(line: string, args?: readonly string[]): string {
  const rest = line.replace(PROGRAM, '');
  if (args) {
    for (let i = 0; i + 1 < args.length; i++) {
      const opt = args[i]!;
      if (!opt.startsWith('-')) continue;
      const location = `${opt} ${args[i + 1]!}: `;
      if (rest.startsWith(location)) return rest.slice(location.length);
    }
    return rest;
  }
  return rest.replace(/^-[a-z][\w-]*(?: [^ ]+?)?: /, '');
}
