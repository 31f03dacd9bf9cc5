import { dirFs } from './host-fs.js';
import { readHostFs } from './sysfs.js';
import type { HostModel } from '@viommu/core';

/** What `viommu hosts probe` saw; `host` is null on a machine with no IOMMU (`found` says why). */
export interface HostProbe {
  readonly host: HostModel | null;
  readonly found: string[];
  readonly assumed: string[];
}

/**
 * Reads the machine viommu runs on (or a tree standing for `/` at `root`): `/sys/class/iommu`,
 * IOMMU groups, PCI drivers, `/proc/cmdline`, `/proc/sys/kernel/osrelease`, `/dev/iommu`,
 * `/dev/vfio`. The host id is the machine's hostname.
 * @throws InputError when a unit is there but its files cannot be read whole.
 */
export function probeHost(root = '/'): HostProbe {
  const fs = dirFs(root);
  const r = readHostFs(fs, []);
  if (!r.host) return { host: null, found: [...r.found, r.missing!], assumed: r.assumed };
  const hostname = (fs.read('/proc/sys/kernel/hostname') ?? fs.read('/etc/hostname'))?.trim().replace(/[^A-Za-z0-9._:-]+/g, '-');
  return {
    host: { id: hostname || 'probed-host', description: `probed on ${hostname || root}`, ...r.host, provenance: { ...r.host.provenance!, kind: 'probe' }, assumed: r.assumed },
    found: r.found,
    assumed: r.assumed,
  };
}
