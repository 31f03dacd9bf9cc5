import { OracleError } from './errors.js';

/** A Debian archive this machine already uses: where the oracle fetches other suites from. */
export interface DebianArchive {
  readonly uri: string;
  /** The keyring the machine's entry names (`Signed-By:` / `[signed-by=…]`), if any. */
  readonly signedBy?: string;
}

/** One `deb` entry of an apt sources file. */
interface SourceEntry {
  readonly uris: string[];
  readonly suites: string[];
  readonly signedBy?: string;
}

/** Entries of a deb822 `.sources` file (sources.list(5), "DEB822-STYLE FORMAT"). */
function deb822Entries(text: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last)}\n${line.trim()}`);
        continue;
      }
      const m = /^([\w-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') continue;
    const signedBy = fields.get('signed-by');
    entries.push({
      uris: words('uris'),
      suites: words('suites'),
      // An inline key block cannot be named in a one-line entry; apt's trusted keys then apply.
      ...(signedBy && !signedBy.includes('\n') ? { signedBy } : {}),
    });
  }
  return entries;
}

/** Entries of a one-line-style `sources.list`: `deb [opt=value …] uri suite component…`. */
function oneLineEntries(text: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(raw);
    if (!m) continue;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
    entries.push({ uris: [m[2]!], suites: [m[3]!], ...(signedBy ? { signedBy } : {}) });
  }
  return entries;
}

/**
 * The Debian archive to fetch `codename`'s suites from, read from the machine's apt sources
 * (`files`: path and text of `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*`). Prefers
 * an entry for `codename` itself, else any entry for a plain release (`trixie`, not
 * `trixie-security`, which lives in another archive). The repository names no mirror.
 */
export function debianArchive(
  files: readonly { readonly path: string; readonly text: string }[],
  codename: string,
): DebianArchive {
  const entries = files.flatMap((f) =>
    f.path.endsWith('.sources') ? deb822Entries(f.text) : f.path.endsWith('.list') ? oneLineEntries(f.text) : [],
  );
  const entry =
    entries.find((e) => e.suites.includes(codename)) ??
    entries.find((e) => e.suites.some((s) => /^[a-z]+$/.test(s)));
  const uri = entry?.uris[0];
  if (!entry || !uri) {
    throw new OracleError(
      `no Debian archive in apt sources (${files.map((f) => f.path).join(', ') || 'none found'}) to fetch ${codename} packages from`,
    );
  }
  return { uri, ...(entry.signedBy ? { signedBy: entry.signedBy } : {}) };
}
