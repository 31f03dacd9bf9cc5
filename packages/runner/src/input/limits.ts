import { InputError } from '@viommu/core';

/** Largest libvirt domain XML viommu reads (real domains are a few KiB). */
export const MAX_DOMAIN_XML = 1 << 20;
/** Largest kernel log viommu reads (one boot's `journalctl -k` is well under this). */
export const MAX_LOG_CHARS = 8 << 20;

/** Largest capture tarball viommu unpacks (sysfs and logs of one host are a few MiB). */
export const MAX_CAPTURE_BYTES = 64 << 20;

/**
 * Refuses input over `limit` characters before parsing it, so time and memory stay bounded.
 * @throws InputError `<what> of N characters is larger than the limit of M`.
 */
export function checkSize(length: number, limit: number, what: string, where: string): void {
  if (length > limit) throw new InputError(`${what} of ${length} characters is larger than the limit of ${limit}`, where);
}
