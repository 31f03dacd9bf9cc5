import { hex, MAX_OPTION_LENGTH, parseOptionString, type ParsedOption } from '@viommu/core';
import fc from 'fast-check';
import { hostFromJson, hostToJson, readBootLog } from '../../src/hosts/index.js';
import { REAL_HOSTS } from '../../src/hosts/real-hosts.js';
import { listHosts } from '../../src/hosts/catalogue.js';
import { logLines } from '../../src/hosts/boot-log.js';
import { readHostFs } from '../../src/hosts/sysfs.js';
import { textSysfsFs } from '../../src/hosts/text-sysfs.js';
import { tarFs } from '../../src/hosts/host-fs.js';
import { gzipSync } from 'node:zlib';
import { parseLibvirtDomain } from '../../src/input/libvirt.js';
import { parseQemuArgs, splitShellWords } from '../../src/input/qemu-args.js';
import type { VmConfig } from '../../src/input/vm-config.js';
import { checkSchema } from '../../src/schema/validate.js';
import type { FuzzTarget } from './harness.js';
import { InputError, PROFILES } from '@viommu/core';
import { Composition } from '../../src/scenario/compose.js';
import { runScenario } from '../../src/scenario/engine.js';

/** Strings people and attackers write: separators of every format, prototype keys, odd code points. */
const TOKENS = [',', ',,', '=', '-', '--', ' ', '\t', '\n', '"', "'", '\\', '#', '<', '>', '/', '&', ';', ':', '.', '0x', 'ffffffffffffffff', '8000000000000000', '__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'hasOwnProperty', '\u0000', '\u00e9', '\ud83d\ude00', '\ud800', 'on', 'off', 'intel-iommu', 'vfio-pci', 'host=01:00.0', 'aw-bits=48', 'iommufd', 'q35', 'virt', 'domain', 'iommu', 'hostdev', 'DMAR: dmar0: reg_base_addr', 'cap', 'ecap', 'arm-smmu-v3'];
const token = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 }));
/** A string glued from separators, keywords and random text. */
const soup = (maxLength = 24) => fc.array(token, { maxLength }).map((a) => a.join(''));
const ident = fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/);
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString');
const hex64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `-device`/`-object` option text with commas doubled, as QEMU's `qemu_opts_parse` reads it. */
const optionText = (implied: string, pairs: readonly { key: string; value: string }[]) =>
  [implied, ...pairs.map((p) => `${p.key}=${p.value.replaceAll(',', ',,')}`)].join(',');
const pairArb = fc.record({ key: fc.oneof(ident.filter((k) => k !== 'driver'), protoKey), value: fc.oneof(fc.string({ maxLength: 12 }), soup(4)) });

const keyval: FuzzTarget<string> = {
  name: 'keyval -device',
  run: (s) => parseOptionString(s, 'driver', 'fuzz'),
  any: fc.oneof(soup(), fc.string({ maxLength: 64 })),
  // an element with an empty key: QEMU's "Invalid parameter ''"
  invalid: fc.tuple(soup(8), fc.string({ maxLength: 6 })).map(([a, v]) => `${a.replace(/,+$/, '')},=${v.replaceAll(',', ',,')}`),
  valid: {
    arb: fc.tuple(ident, fc.array(pairArb, { maxLength: 6 })).map(([t, pairs]) => optionText(t, pairs)),
    check: (s, out) => {
      const o = out as ParsedOption;
      const again = optionText(o.implied!, o.pairs);
      return again === s && o.pairs.every((p) => Object.getPrototypeOf(p) === Object.prototype) ? undefined : `read back as ${again}`;
    },
  },
  huge: { input: () => 'a'.repeat(MAX_OPTION_LENGTH + 1), limit: /longer than 65536/ },
};

const QEMU_OPTS = ['-machine', '-M', '-device', '--device', '-object', '-accel', '-global', '-enable-kvm', '-m', '-smp', '-nographic', '-display', '-cpu', '-drive', '-foo', '-'];
const validArgv = fc
  .tuple(fc.constantFrom('q35', 'pc-q35-9.1', 'virt'), fc.array(fc.tuple(ident, fc.array(pairArb, { maxLength: 4 })), { minLength: 1, maxLength: 4 }))
  .map(([m, devs]) => ({ argv: ['qemu-system-x86_64', '-machine', `${m},kernel-irqchip=split`, ...devs.flatMap(([t, p]) => ['-device', optionText(t, p)])], devs }));

const qemuArgs: FuzzTarget<string[]> = {
  name: 'qemu command line',
  run: (argv) => parseQemuArgs(argv, 'fuzz'),
  any: fc.array(fc.oneof(fc.constantFrom(...QEMU_OPTS), soup(6)), { maxLength: 12 }),
  // an option QEMU does not have, or one missing its argument
  invalid: fc.tuple(validArgv, fc.constantFrom('-no-such-option', '-device', '-machine', '-object', 'stray-word', '-accel')).map(([v, bad]) => [...v.argv, bad]),
  valid: {
    arb: validArgv.map((v) => v.argv),
    check: (argv, out) => {
      const vm = out as VmConfig;
      const want = argv.filter((_, i) => argv[i - 1] === '-device');
      const got = vm.devices.map((d) => optionText(d.type, d.pairs));
      return same(want, got) ? undefined : `devices read as ${JSON.stringify(got)}`;
    },
  },
  huge: { input: () => ['-device', 'a,'.repeat(10 ** 6)], limit: /longer than 65536/ },
};

const word = fc.stringMatching(/^[a-z0-9,=.:_-]{1,12}$/);
const shellWords: FuzzTarget<string> = {
  name: 'command-line file',
  run: (s) => splitShellWords(s, 'fuzz'),
  any: soup(),
  invalid: fc.tuple(soup(6).filter((s) => !/["'\\#]/.test(s)), fc.constantFrom('"', "'"), word).map(([a, q, w]) => `${a} ${q}${w}`),
  valid: {
    arb: fc.array(fc.tuple(word, fc.constantFrom('', "'", '"')), { maxLength: 10 }).map((ws) => ws.map(([w, q]) => `${q}${w}${q}`).join(' \\\n  ')),
    check: (s, out) => {
      const want = s.split(/\s+\\\n\s+/).filter(Boolean).map((w) => w.replace(/^(['"])(.*)\1$/, '$2'));
      return same(want, out) ? undefined : `split as ${JSON.stringify(out)}`;
    },
  },
};

const bdfParts = fc.record({ bus: fc.integer({ min: 0, max: 255 }), slot: fc.integer({ min: 0, max: 31 }), fn: fc.integer({ min: 0, max: 7 }) });
const domainXml = (machine: string, iommu: string, hostdevs: readonly { bus: number; slot: number; fn: number }[]) =>
  `<domain type='kvm'><os><type arch='x86_64' machine='${machine}'>hvm</type></os><features><ioapic driver='qemu'/></features><devices>${iommu}${hostdevs
    .map((a) => `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x${a.bus.toString(16)}' slot='0x${a.slot.toString(16)}' function='0x${a.fn}'/></source></hostdev>`)
    .join('')}</devices></domain>`;
const validDomain = fc.tuple(fc.constantFrom('q35', 'pc-q35-9.1'), fc.constantFrom("<iommu model='intel'><driver intremap='on' caching_mode='on'/></iommu>", "<iommu model='intel'/>", ''), fc.array(bdfParts, { maxLength: 3 }));
const XML_TOKENS = ['<domain>', '</domain>', "<domain type='kvm'>", '<devices>', '</devices>', "<iommu model='intel'>", "<iommu model='__proto__'>", '</iommu>', "<driver aw_bits='48'/>", "<hostdev type='pci'>", '</hostdev>', "<address bus='0x1' slot='0x0' function='0x0'/>", '<source>', '</source>', "<controller type='pci' model='pcie-root-port' index='1'/>", '<!--', '-->', '<![CDATA[', ']]>', '<?xml version="1.0"?>', '<!DOCTYPE d [<!ENTITY a "aaaa">]>', '&a;', '&lt;', "<__proto__ polluted='1'/>", "<constructor prototype='x'/>"];
const libvirt: FuzzTarget<string> = {
  name: 'libvirt domain XML',
  run: (s) => parseLibvirtDomain(s, 'fuzz'),
  any: fc.oneof(fc.array(fc.oneof(fc.constantFrom(...XML_TOKENS), token), { maxLength: 20 }).map((a) => a.join('')), validDomain.chain(([m, i, h]) => fc.nat(600).map((n) => domainXml(m, i, h).slice(0, n)))),
  // cut inside the closing tag (not well-formed), or another root element
  invalid: fc.oneof(validDomain.map(([m, i, h]) => domainXml(m, i, h).slice(0, -3)), fc.constantFrom('<domain', '<foo/>', '<?xml version="1.0"?><network/>', '')),
  valid: {
    arb: validDomain.map(([m, i, h]) => domainXml(m, i, h)),
    check: (s, out) => {
      const vm = out as VmConfig;
      const hosts = [...s.matchAll(/bus='0x([0-9a-f]+)' slot='0x([0-9a-f]+)' function='0x(\d)'/g)].map((m) => `${m[1]!.padStart(2, '0')}:${m[2]!.padStart(2, '0')}.${m[3]}`);
      const got = vm.devices.filter((d) => d.type === 'vfio-pci').map((d) => d.pairs.find((p) => p.key === 'host')?.value.replace(/^0000:/, ''));
      const iommu = vm.devices.some((d) => d.type === 'intel-iommu');
      return same(hosts, got) && iommu === s.includes("model='intel'") ? undefined : `hostdevs ${JSON.stringify(got)}, intel-iommu ${iommu}`;
    },
  },
  huge: { input: () => `<domain>${'<devices/>'.repeat(10 ** 6)}</domain>`, limit: /domain XML of 10000017 characters is larger than the limit of 1048576/ },
};

/** A real boot log line with a few characters changed, dropped or repeated. */
const mutate = (lines: readonly string[]) =>
  fc.tuple(fc.constantFrom(...lines), fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ' ', '0', 'f', 'x', ':', ',', 'g', '\u0000', 'ffffffffffffffffff')), { maxLength: 3 })).map(([l, edits]) =>
    edits.reduce((s, [at, c]) => { const i = at % (s.length + 1); return s.slice(0, i) + c + s.slice(i + 1); }, l),
  );
const RAW = REAL_HOSTS.flatMap((h) => h.raw);
const realLog = fc.constantFrom(...REAL_HOSTS.filter((h) => h.kind === 'dmesg' && h.vendor !== 'amd'));
const bootLog: FuzzTarget<string> = {
  name: 'kernel boot log',
  run: (s) => readBootLog(logLines(s), 'fuzz'),
  any: fc.array(fc.oneof(mutate(RAW), soup(8)), { maxLength: 8 }).map((l) => l.join('\n')),
  // a unit line cut short: "truncated or malformed"
  invalid: fc.tuple(fc.constantFrom(...RAW.filter((l) => /DMAR: dmar\d+: reg_base_addr .* ecap [0-9a-f]+$/.test(l))), fc.integer({ min: 20, max: 60 })).map(([l, n]) => l.replace(/ ecap [0-9a-f]+$/, '').slice(0, -n % 10 - 1)),
  valid: {
    arb: realLog.map((h) => h.raw.join('\n')),
    check: (s, out) => {
      const h = REAL_HOSTS.find((e) => e.raw.join('\n') === s)!;
      const units = (out as ReturnType<typeof readBootLog>).units;
      const want = h.units.map((u) => [u.cap, u.ecap]);
      const got = units.map((u) => [u.registers['cap'], u.registers['ecap']].map((r) => (r === undefined ? undefined : hex(r))));
      return h.vendor !== 'intel' || same(want, got) ? undefined : `units ${JSON.stringify(got)}`;
    },
  },
  huge: { input: () => 'x\n'.repeat(5 * 10 ** 6), limit: /kernel log of 10000000 characters is larger than the limit of 8388608/ },
};

const SYSFS = '/sys/class/iommu';
const vtdFiles = (name: string, cap: bigint, ecap: bigint, version = '1:0') => [`${SYSFS}/${name}/intel-iommu/cap:${cap.toString(16)}`, `${SYSFS}/${name}/intel-iommu/ecap:${ecap.toString(16)}`, `${SYSFS}/${name}/intel-iommu/version:${version}`, `${SYSFS}/${name}/intel-iommu/address:fed90000`];
const sysfs: FuzzTarget<string[]> = {
  name: 'sysfs dump',
  run: (lines) => readHostFs(textSysfsFs(lines, 'fuzz'), [{ lines, where: 'fuzz' }]),
  any: fc.array(fc.oneof(fc.tuple(fc.constantFrom('dmar0', 'dmar1', 'ivhd0', 'smmu3.0x0000000009050000', '__proto__', 'constructor'), fc.constantFrom('intel-iommu/cap', 'intel-iommu/ecap', 'intel-iommu/version', 'intel-iommu/address', 'amd-iommu/features', '__proto__'), soup(4)).map(([n, a, v]) => `${SYSFS}/${n}/${a}:${v}`), soup(8)), { maxLength: 10 }),
  // a register that is not hex, or a version not '<major>:<minor>'
  invalid: fc.tuple(hex64, hex64, fc.constantFrom('zz', '-1', '0x', '1:0:0', 'ffffffffffffffffff')).map(([c, e, bad]) => [...vtdFiles('dmar0', c, e).slice(0, 2).map((l, i) => (i === 0 ? l.replace(/:[0-9a-f]+$/, `:${bad}`) : l)), ...vtdFiles('dmar0', c, e).slice(2)]),
  valid: {
    arb: fc.array(fc.tuple(hex64, hex64), { minLength: 1, maxLength: 3 }).map((regs) => regs.flatMap(([c, e], i) => vtdFiles(`dmar${i}`, c, e))),
    check: (lines, out) => {
      const units = (out as ReturnType<typeof readHostFs>).host?.units ?? [];
      const want = lines.filter((l) => /\/(cap|ecap):/.test(l)).map((l) => BigInt(`0x${l.split(':')[1]}`));
      const got = units.flatMap((u) => [u.registers['cap'], u.registers['ecap']]);
      return same(want.map(hex), got.map((x) => (x === undefined ? 'none' : hex(x)))) ? undefined : `registers ${got.map(String)}`;
    },
  },
};

const vtdTar = fc.array(fc.tuple(hex64, hex64), { minLength: 1, maxLength: 2 }).map((regs) =>
  regs.flatMap(([c, e], i): [string, string][] => [
    [`sys/class/iommu/dmar${i}/intel-iommu/cap`, `${c.toString(16)}\n`],
    [`sys/class/iommu/dmar${i}/intel-iommu/ecap`, `${e.toString(16)}\n`],
    [`sys/class/iommu/dmar${i}/intel-iommu/version`, '1:0\n'],
    [`sys/class/iommu/dmar${i}/intel-iommu/address`, 'fed90000\n'],
  ]),
);
/** A byte of an archive overwritten, or the archive cut. */
const damaged = (bytes: fc.Arbitrary<Buffer>) =>
  fc.tuple(bytes, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([b, at, v, cut]) => {
    const out = Buffer.from(b);
    if (cut) return out.subarray(0, at % (out.length + 1));
    out[at % out.length] = v;
    return out;
  });
const capture: FuzzTarget<Buffer> = {
  name: 'capture tarball',
  run: (b) => readHostFs(tarFs(b, 'fuzz'), []),
  any: fc.oneof(damaged(vtdTar.map(ustar)), damaged(vtdTar.map((f) => gzipSync(ustar(f)))), fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a))),
  // a member cut short, a gzip stream cut short, a header without the ustar magic
  invalid: fc.oneof(
    vtdTar.map((f) => ustar(f).subarray(0, 512 + 1)),
    vtdTar.map((f) => gzipSync(ustar(f)).subarray(0, 20)),
    vtdTar.map((f) => Buffer.concat([Buffer.alloc(257, 'a'), ustar(f).subarray(257)])),
  ),
  valid: {
    arb: vtdTar.map(ustar),
    check: (b, out) => {
      const regs: string[] = [];
      for (let off = 0; b[off] !== 0; ) {
        const size = parseInt(b.toString('latin1', off + 124, off + 135), 8);
        if (/\/e?cap$/.test(b.toString('latin1', off, off + 100).replace(/\0.*$/s, ''))) regs.push(`0x${b.toString('latin1', off + 512, off + 512 + size).trim()}`);
        off += 512 + Math.ceil(size / 512) * 512;
      }
      const units = (out as ReturnType<typeof readHostFs>).host?.units ?? [];
      const got = units.flatMap((u) => [u.registers['cap'], u.registers['ecap']].map((r) => (r === undefined ? 'none' : hex(r))));
      return same(regs, got) ? undefined : `registers ${JSON.stringify(got)}, archive has ${JSON.stringify(regs)}`;
    },
  },
  huge: { input: () => gzipSync(Buffer.alloc(300 * 2 ** 20)), limit: /larger than/ },
};

const CATALOGUE = listHosts().map((h) => hostToJson(h));
const jsonish = fc.jsonValue({ maxDepth: 3 });
/** A value inserted at a random key (prototype keys included) of a JSON object tree. */
const withJunk = (base: fc.Arbitrary<unknown>) =>
  fc.tuple(base, fc.array(fc.tuple(fc.oneof(protoKey, ident), jsonish), { maxLength: 3 })).map(([b, junk]) => {
    const o = JSON.parse(JSON.stringify(b));
    let target = o;
    for (const [k, v] of junk) {
      if (target && typeof target === 'object') Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
      target = Array.isArray(target) ? target[0] : target && typeof target === 'object' ? Object.values(target)[0] : undefined;
    }
    return JSON.parse(JSON.stringify(o)) as unknown;
  });
const hostJson: FuzzTarget<unknown> = {
  name: 'host profile JSON',
  run: (j) => hostFromJson(j, 'fuzz'),
  any: fc.oneof(jsonish, withJunk(fc.constantFrom(...CATALOGUE))),
  // a register word that is not a 64-bit hex word, or a required field dropped
  invalid: fc.tuple(fc.constantFrom(...CATALOGUE), fc.constantFrom('0x1ffffffffffffffff', '-0x1', '0xZZ', 12, null, 'drop')).map(([h, bad]) => {
    const o = JSON.parse(JSON.stringify(h));
    if (bad === 'drop') delete o.units;
    else o.units[0].registers[Object.keys(o.units[0].registers)[0] ?? 'cap'] = bad;
    return o as unknown;
  }),
  valid: {
    arb: fc.constantFrom(...CATALOGUE),
    check: (j, out) => (same(hostToJson(out as ReturnType<typeof hostFromJson>), j) ? undefined : 'does not read back as written'),
  },
};

const scenarioJson: FuzzTarget<unknown> = {
  name: 'scenario JSON',
  run: (j) => {
    checkSchema('scenario', j, 'fuzz');
    for (const s of Array.isArray(j) ? j : [j]) {
      const args = (s as { qemuArgs: string | string[] }).qemuArgs;
      parseQemuArgs(typeof args === 'string' ? splitShellWords(args, 'fuzz') : args, 'fuzz');
    }
  },
  any: fc.oneof(jsonish, withJunk(fc.record({ host: fc.constantFrom('intel-001', 'x.json'), qemuArgs: fc.oneof(soup(8), fc.array(soup(4), { maxLength: 5 })) }))),
  invalid: fc.oneof(fc.constantFrom(null, 1, 'x', [], {}), fc.record({ qemuArgs: fc.array(ident) }), fc.record({ host: fc.constant('intel-001'), qemuArgs: fc.constant(7) })),
  valid: {
    arb: validArgv.map((v) => ({ host: 'intel-001', qemuArgs: v.argv.slice(1) }) as unknown),
    check: () => undefined,
  },
};

const COMP = await Composition.create();
const HOSTS = listHosts().filter((h) => {
  try {
    COMP.scenario(h, PROFILES[0]!);
    return true;
  } catch {
    return false;
  }
});
const DEVICE_TYPES = ['intel-iommu', 'arm-smmuv3', 'virtio-iommu-pci', 'vfio-pci', 'pcie-root-port', 'pci-bridge', 'pcie-pci-bridge', 'e1000', 'amd-iommu'];
const PROP_KEYS = ['aw-bits', 'caching-mode', 'x-scalable-mode', 'x-flts', 'intremap', 'device-iotlb', 'dma-drain', 'pasid', 'x-pasid-mode', 'bus', 'addr', 'id', 'host', 'iommufd', 'accel', 'ril', 'ats', 'oas', 'ssidsize', 'granule', 'chassis_nr', 'primary-bus', 'boot-bypass', '__proto__', 'constructor'];
const PROP_VALUES = ['on', 'off', 'true', 'no', '39', '48', '52', '64', '0', '-1', '0xffffffffffffffff', '18446744073709551616', 'abc', '', 'rp0', 'br0', 'pcie.0', 'fd0', '01:00.0', '0000:01:00.0', '02:00.0', '1.0', '1f.7', '20', '__proto__'];
const deviceArg = fc.tuple(fc.constantFrom(...DEVICE_TYPES), fc.array(fc.tuple(fc.constantFrom(...PROP_KEYS), fc.oneof(fc.constantFrom(...PROP_VALUES), soup(3))), { maxLength: 4 })).map(([t, kv]) => ['-device', [t, ...kv.map(([k, v]) => `${k}=${v.replaceAll(',', ',,')}`)].join(',')]);
const engineArgv = fc
  .tuple(
    fc.constantFrom('q35', 'q35,kernel-irqchip=split', 'pc', 'virt', 'virt,iommu=smmuv3', 'pc-q35-7.2', 'pc-q35-99.0', 'virt,default-bus-bypass-iommu=on', 'none'),
    fc.boolean(),
    fc.array(deviceArg, { maxLength: 5 }),
  )
  .map(([m, fd, devs]) => ['-machine', m, ...(fd ? ['-object', 'iommufd,id=fd0'] : []), ...devs.flat()]);
/** A configuration the engine refuses as QEMU does turns into an InputError here: the model's clean refusal. */
const runEngine = ([argv, hostIndex, profileIndex]: [string[], number, number]) => {
  const host = HOSTS[hostIndex % HOSTS.length]!;
  const profile = PROFILES[profileIndex % PROFILES.length]!;
  const v = runScenario(COMP.scenario(host, profile), parseQemuArgs(argv, 'fuzz'), host, profile);
  if (v.refusal) throw new InputError(v.refusal.printed);
  return v;
};
const engine: FuzzTarget<[string[], number, number]> = {
  name: 'scenario engine',
  run: runEngine,
  any: fc.tuple(engineArgv, fc.nat(), fc.nat()),
  // QEMU refuses these on every version: an intel-iommu aw-bits other than 39/48, a property the device does not have
  invalid: fc.tuple(fc.constantFrom('0', '1', '40', '47', 'abc', '-1'), fc.constantFrom('aw-bits', 'no-such-property'), fc.array(deviceArg, { maxLength: 2 }), fc.nat(), fc.nat()).map(([v, k, devs, h, p]) => [
    ['-machine', 'q35,kernel-irqchip=split', '-device', `intel-iommu,${k}=${v}`, ...devs.flat()],
    h,
    p,
  ] as [string[], number, number]),
};

/** Every parser and entry point that takes outside input. */
export const FUZZ_TARGETS: readonly FuzzTarget<never>[] = [keyval, qemuArgs, shellWords, libvirt, bootLog, sysfs, capture, hostJson, scenarioJson, engine] as unknown as FuzzTarget<never>[];

/** A ustar archive of `files` (name → content), as `tar -c` writes it. */
export function ustar(files: readonly [string, string][]): Buffer {
  const blocks = files.flatMap(([name, content]) => {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write('0000644\0', 100);
    h.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    const data = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
    data.write(content);
    return [h, data];
  });
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}
