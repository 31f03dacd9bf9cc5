import { InputError, parseOptionString, type Accel } from '@viommu/core';
import { lastValue, type OptionEntry, type VmConfig } from './vm-config.js';

/** QEMU options that take an argument but do not affect the vIOMMU negotiation. */
const IGNORED_WITH_ARG = new Set([
  'm', 'smp', 'cpu', 'drive', 'blockdev', 'display', 'serial', 'parallel', 'monitor',
  'mon', 'chardev', 'qmp', 'kernel', 'initrd', 'append', 'dtb', 'bios', 'pflash', 'name', 'uuid', 'boot', 'incoming',
  'numa', 'rtc', 'trace', 'd', 'D', 'L', 'pidfile', 'k', 'cdrom', 'hda', 'hdb', 'hdc', 'hdd', 'fsdev', 'virtfs',
  'mem-path', 'runas', 'run-with', 'sandbox', 'msg', 'overcommit', 'add-fd', 'fw_cfg', 'smbios', 'audiodev', 'audio',
  'spice', 'vnc', 'loadvm', 'icount', 'action', 'watchdog-action', 'semihosting-config', 'plugin', 'debugcon',
  'qtest', 'qtest-log', 'iscsi', 'usbdevice', 'readconfig', 'compat', 'mem-prealloc', 'chroot', 'gdb', 'acpitable',
  'tpmdev', 'set', 'option-rom', 'g', 'prom-env', 'keyboard', 'sd', 'mtdblock', 'accel-prop',
]);

/** QEMU options without an argument that do not affect the vIOMMU negotiation. */
const IGNORED_FLAGS = new Set([
  'nographic', 'S', 's', 'no-reboot', 'no-shutdown', 'daemonize', 'snapshot', 'no-hpet', 'no-acpi',
  'full-screen', 'no-user-config', 'nouserconfig', 'old-param', 'only-migratable', 'preconfig', 'win2k-hack',
  'no-fd-bootchk', 'usb', 'enable-sync-profile', 'ctrl-grab', 'alt-grab', 'no-quit', 'no-frame', 'mem-prealloc',
  'singlestep', 'semihosting', 'no-kvm',
]);

const ACCELS: readonly Accel[] = ['tcg', 'kvm', 'qtest'];

/** `-vga` types (`vga_interfaces` in `system/vl.c`). */
const VGA_TYPES: Readonly<Record<string, string | null>> = {
  none: null,
  std: 'VGA',
  cirrus: 'cirrus-vga',
  vmware: 'vmware-svga',
  qxl: 'qxl-vga',
  virtio: 'virtio-vga',
};

/** `-device` drivers that turn the default display off (`default_list` in `system/vl.c`). */
const VGA_DRIVERS = new Set(['VGA', 'isa-vga', 'cirrus-vga', 'isa-cirrus-vga', 'vmware-svga', 'qxl-vga', 'virtio-vga', 'ati-vga', 'vhost-user-vga']);

/**
 * Parses a QEMU command line as users write it (the binary name first is optional; options
 * may start with `-` or `--`). `-machine`/`-M`, `-accel`, `-enable-kvm`, `-object`,
 * `-device`, `-global` are kept; other known options are ignored with a note.
 * @throws InputError naming the option for an unknown option (`-foo: invalid option`, QEMU's
 *   text), a missing argument or a malformed option string.
 */
export function parseQemuArgs(argv: readonly string[], where = 'command line'): VmConfig {
  const notes: string[] = [];
  const objects: OptionEntry[] = [];
  const devices: OptionEntry[] = [];
  const globals: Record<string, Record<string, string>> = {};
  const machineProps: Record<string, string> = {};
  let machineType: string | undefined;
  let machineText: string | undefined;
  let accel: Accel | undefined;
  let hasDefaults = true;
  let defaultNet = true;
  let vga: string | null | undefined;
  const nics: (string | null)[] = [];
  let i = 0;
  if (argv[0] !== undefined && !argv[0].startsWith('-')) i = 1; // qemu-system-x86_64
  const arg = (opt: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new InputError(`${opt}: requires an argument`, where);
    return v;
  };
  const setAccel = (name: string, opt: string) => {
    const first = name.split(':')[0]!;
    if (!ACCELS.includes(first as Accel)) throw new InputError(`${opt} ${name}: invalid accelerator ${first}`, where);
    accel ??= first as Accel;
  };
  for (; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith('-') || raw === '-' || raw === '--') {
      throw new InputError(`${raw}: not a QEMU option (QEMU options start with '-')`, where);
    }
    const name = raw.replace(/^--?/, '');
    const opt = `-${name}`;
    switch (name) {
      case 'machine':
      case 'M': {
        const text = arg(opt);
        const parsed = parseOptionString(text, 'type', `${where}: -machine ${text}`);
        if (parsed.implied !== undefined) machineType = parsed.implied;
        for (const p of parsed.pairs) {
          if (p.key === 'accel') setAccel(p.value, '-machine accel=');
          else machineProps[p.key] = p.value;
        }
        machineText = `-machine ${text}`;
        break;
      }
      case 'accel': {
        const text = arg(opt);
        const parsed = parseOptionString(text, 'accel', `${where}: -accel ${text}`);
        setAccel(parsed.implied ?? '', opt);
        break;
      }
      case 'enable-kvm':
        setAccel('kvm', opt);
        break;
      case 'object':
      case 'device': {
        const text = arg(opt);
        const implied = name === 'device' ? 'driver' : 'qom-type';
        const location = `${opt} ${text}`;
        const parsed = parseOptionString(text, implied, `${where}: ${location}`);
        // `-device ,id=x` names the model '' (QEMU: "'' is not a valid device model name").
        if (parsed.implied === undefined || (name === 'object' && !parsed.implied)) {
          throw new InputError(`${location}: Parameter '${implied}' is missing`, where);
        }
        // `qdev_device_help`: `-device help`, `-device <model>,help` print and exit before anything runs.
        if (name === 'device' && [parsed.implied, ...parsed.pairs.map((p) => p.key)].some((k) => k === 'help' || k === '?')) {
          throw new InputError(`${location}: QEMU prints help and exits (is_help_option); there is no configuration to check`, where);
        }
        const entry = { type: parsed.implied, pairs: parsed.pairs, id: lastValue(parsed.pairs, 'id'), location };
        (name === 'device' ? devices : objects).push(entry);
        break;
      }
      case 'nodefaults':
        hasDefaults = false;
        break;
      case 'vga': {
        const text = arg(opt);
        if (!Object.hasOwn(VGA_TYPES, text)) throw new InputError(`unknown vga type: ${text}`, where);
        vga = VGA_TYPES[text]!;
        break;
      }
      case 'netdev':
        notes.push(`ignored ${opt} ${arg(opt)}`);
        defaultNet = false;
        break;
      case 'nic':
      case 'net': {
        const text = arg(opt);
        defaultNet = false;
        const parsed = parseOptionString(text, 'type', `${where}: ${opt} ${text}`);
        if ((name === 'nic' && parsed.implied !== 'none') || (name === 'net' && parsed.implied === 'nic')) {
          nics.push(lastValue(parsed.pairs, 'model') ?? null);
        }
        break;
      }
      case 'global': {
        const text = arg(opt);
        const m = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(text);
        if (!m) throw new InputError(`-global ${text}: Invalid 'global' option, expected driver.property=value`, where);
        (globals[m[1]!] ??= {})[m[2]!] = m[3]!;
        break;
      }
      default:
        if (IGNORED_WITH_ARG.has(name)) {
          notes.push(`ignored ${opt} ${arg(opt)}`);
        } else if (IGNORED_FLAGS.has(name)) {
          notes.push(`ignored ${opt}`);
        } else {
          throw new InputError(`${opt}: invalid option`, where);
        }
    }
  }
  const defaultVga = hasDefaults && !devices.some((d) => VGA_DRIVERS.has(d.type));
  return {
    machine: { type: machineType, props: machineProps, text: machineText },
    accel,
    objects,
    devices,
    globals,
    boardDevices: { vga: vga !== undefined ? vga : defaultVga ? 'default' : null, nics: hasDefaults && defaultNet ? [null] : nics },
    notes,
  };
}

/**
 * Splits the text of a command-line file into arguments as a POSIX shell would for the
 * simple cases people paste: whitespace, single and double quotes, backslash-newline
 * continuations and `#` comments at the start of a word.
 * @throws InputError for an unterminated quote.
 */
export function splitShellWords(text: string, where: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') {
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      if (cur !== null) words.push(cur);
      cur = null;
      continue;
    }
    if (c === '#' && cur === null) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new InputError(`unterminated ${c} quote`, where);
      cur = (cur ?? '') + text.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      cur = (cur ?? '') + text[++i];
      continue;
    }
    cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}
