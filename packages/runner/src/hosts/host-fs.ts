import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '@viommu/core';
import { checkSize, MAX_CAPTURE_BYTES } from '../input/limits.js';

/**
 * Read-only access to a host's `/sys`, `/proc` and `/dev` as captured (a directory standing
 * for `/`, or a tar of one) or live (`/`). Paths are absolute (`/sys/class/iommu`).
 */
export interface HostFs {
  /** Names in a directory; undefined when it does not exist. */
  list(path: string): string[] | undefined;
  /** A file's text; undefined when it does not exist. */
  read(path: string): string | undefined;
  /** A binary file's bytes (PCI `config`); undefined when it does not exist or the capture has no bytes. */
  readBytes(path: string): Uint8Array | undefined;
  /** A symlink's target; undefined when `path` is not a symlink. */
  readlink(path: string): string | undefined;
  exists(path: string): boolean;
  /** Names the capture in messages. */
  readonly where: string;
}

/** A directory standing for `/` (`root` = `/` for the machine viommu runs on). */
export function dirFs(root: string): HostFs {
  const at = (p: string) => join(root, p);
  const tryOr = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  return {
    where: root,
    list: (p) => tryOr(() => readdirSync(at(p)).sort()),
    read: (p) => tryOr(() => readFileSync(at(p), 'utf8')),
    readBytes: (p) => tryOr(() => readFileSync(at(p))),
    readlink: (p) => tryOr(() => (lstatSync(at(p)).isSymbolicLink() ? readlinkSync(at(p)) : undefined)),
    exists: (p) => existsSync(at(p)) || tryOr(() => lstatSync(at(p))) !== undefined,
  };
}

interface TarEntry {
  readonly type: 'file' | 'dir' | 'link';
  readonly data?: Buffer;
  readonly target?: string;
}

/** `gunzipSync`, stopping at `MAX_CAPTURE_BYTES`. @throws InputError */
function gunzip(bytes: Buffer, where: string): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_CAPTURE_BYTES });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new InputError(`capture is larger than the limit of ${MAX_CAPTURE_BYTES} bytes unpacked`, where);
    throw new InputError(`damaged gzip stream: ${err.message}`, where);
  }
}

/**
 * A tar (ustar, GNU or pax; optionally gzipped) of a capture. Member names are taken relative to `/`
 * (`sys/class/iommu/…`, `./sys/…` or `/sys/…`). File contents lose the NUL padding GNU tar adds
 * when a sysfs file is shorter than the size it reports.
 * @throws InputError naming the byte offset of a damaged header or a cut member; for a damaged
 *   gzip stream; for a capture over `MAX_CAPTURE_BYTES` unpacked.
 */
export function tarFs(bytes: Buffer, where: string): HostFs {
  const buf = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzip(bytes, where) : bytes;
  checkSize(buf.length, MAX_CAPTURE_BYTES, 'capture', where);
  const entries = new Map<string, TarEntry>();
  let longName: string | undefined;
  for (let off = 0; off + 512 <= buf.length; ) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    if (Number.isNaN(size) || !/ustar/.test(str(257, 6))) throw new InputError(`not a tar archive (bad header at byte ${off})`, where);
    const type = String.fromCharCode(h[156]!);
    const prefix = str(345, 155);
    if (off + 512 + size > buf.length) throw new InputError(`tar archive cut short (the member at byte ${off} has ${size} bytes, the archive ends at ${buf.length})`, where);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      continue;
    }
    if (type === 'g') continue;
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    const path = `/${name.replace(/^\.?\/+/, '').replace(/\/+$/, '')}`;
    if (type === '5') entries.set(path, { type: 'dir' });
    else if (type === '2') entries.set(path, { type: 'link', target: str(157, 100) });
    else if (type === '0' || type === '\0') entries.set(path, { type: 'file', data });
  }
  /** `path` with every symlink among its directories (and, with `last`, itself) followed inside the archive. */
  const resolve = (path: string, last = true): string => {
    const parts = path.split('/').filter(Boolean);
    let cur = '';
    for (let i = 0, hops = 0; i < parts.length; i++) {
      const next = `${cur}/${parts[i]}`;
      const e = entries.get(next);
      if (e?.type === 'link' && (last || i < parts.length - 1) && hops++ < 40) {
        cur = posix.normalize(e.target!.startsWith('/') ? e.target! : `${cur}/${e.target}`).replace(/\/+$/, '');
      } else cur = next;
    }
    return cur || '/';
  };
  const children = (p: string) => {
    const pre = p === '/' ? '/' : `${p}/`;
    const names = new Set<string>();
    for (const k of entries.keys()) if (k.startsWith(pre)) names.add(k.slice(pre.length).split('/')[0]!);
    return names;
  };
  return {
    where,
    list: (p) => {
      const names = children(resolve(p));
      return names.size || entries.get(resolve(p))?.type === 'dir' ? [...names].sort() : undefined;
    },
    read: (p) => entries.get(resolve(p))?.data?.toString('utf8').replace(/\0+$/, ''),
    readBytes: (p) => entries.get(resolve(p))?.data,
    readlink: (p) => entries.get(resolve(p, false))?.target,
    exists: (p) => entries.has(resolve(p)) || children(resolve(p)).size > 0,
  };
}
