import { hex, type HostIommuUnit, type HostModel, type HostPciDevice } from '@viommu/core';

/*
 * What a placement decision reads of a host, and nothing else: the architecture, the kernel
 * facts (`release`, `cmdline`, module `params`, which of `/dev/iommu`, VFIO cdevs and the type1
 * container exist), the passthrough devices the VM names with every device sharing one of
 * their IOMMU groups (group viability), each with its placement facts (BDF, unit, group,
 * driver, PASID, ATS), and the IOMMU units those devices sit behind (registers, vendor
 * extras). Ids, descriptions, provenance, assumptions, units' MMIO base and version (read by
 * the log parsers only), other devices and other units are not read. Keys list fields in the
 * order the host gives them: two hosts listing equal facts in another order get two keys (one
 * more scenario), never one key for different facts.
 */

/** The devices of `host` the decision reads: those at `bdfs` (all when undefined) and their group-mates, in host order. */
function readDevices(host: HostModel, bdfs: ReadonlySet<string> | undefined): HostPciDevice[] {
  if (bdfs === undefined) return [...host.devices];
  const groups = new Set<number>();
  for (const d of host.devices) if (bdfs.has(d.bdf)) groups.add(d.group);
  return host.devices.filter((d) => groups.has(d.group));
}

function unitKey(u: HostIommuUnit): string {
  let s = `${u.name}|${u.vendor}|`;
  for (const k in u.registers) s += `${k}=${u.registers[k]!.toString(16)},`;
  if (u.extra) for (const k in u.extra) {
    const v = u.extra[k]!;
    s += `;${k}=${typeof v === 'bigint' ? hex(v) : `${typeof v}:${String(v)}`}`;
  }
  return s;
}

function deviceKey(d: HostPciDevice): string {
  return `${d.bdf}|${d.unit}|${d.group}|${d.driver}|${d.pasidLog2 ?? 0}|${d.pasidExec ? 1 : 0}|${d.pasidPriv ? 1 : 0}|${d.ats ? 1 : 0}`;
}

/**
 * The key of `host` for a VM passing through `bdfs` (every device when undefined: the host's
 * class for any VM). Hosts with equal keys get equal verdicts for that VM.
 */
export function decisionKey(host: HostModel, bdfs?: ReadonlySet<string>): string {
  const devices = readDevices(host, bdfs);
  const k = host.kernel;
  let key = `${host.arch}\n${k.release}\n${k.cmdline}\n${k.iommufd ? 1 : 0}${k.vfioCdev ? 1 : 0}${k.vfioType1 ? 1 : 0}\n`;
  if (k.params) for (const p in k.params) key += `${p}=${k.params[p]}\n`;
  for (const u of readUnits(host, devices)) key += `U ${unitKey(u)}\n`;
  for (const d of devices) key += `D ${deviceKey(d)}\n`;
  return key;
}

function readUnits(host: HostModel, devices: readonly HostPciDevice[]): HostIommuUnit[] {
  const names = new Set(devices.map((d) => d.unit));
  return host.units.filter((u) => names.has(u.name));
}

/**
 * `host` reduced to what `decisionKey(host, bdfs)` holds: the scenario engine runs on this
 * projection, so a decision is a function of its key by construction.
 */
export function projectHost(host: HostModel, bdfs?: ReadonlySet<string>): HostModel {
  const devices = readDevices(host, bdfs);
  const k = host.kernel;
  return {
    id: host.id,
    arch: host.arch,
    kernel: { release: k.release, cmdline: k.cmdline, iommufd: k.iommufd, vfioCdev: k.vfioCdev, vfioType1: k.vfioType1, ...(k.params ? { params: k.params } : {}) },
    units: readUnits(host, devices).map(({ name, vendor, registers, extra }) => ({
      name,
      vendor,
      registers,
      ...(extra ? { extra } : {}),
    })),
    devices: devices.map(({ bdf, unit, group, driver, pasidLog2, pasidExec, pasidPriv, ats }) => ({
      bdf,
      unit,
      group,
      driver,
      ...(pasidLog2 !== undefined ? { pasidLog2 } : {}),
      ...(pasidExec !== undefined ? { pasidExec } : {}),
      ...(pasidPriv !== undefined ? { pasidPriv } : {}),
      ...(ats !== undefined ? { ats } : {}),
    })),
  };
}
