import { PROFILES } from '@viommu/core';
import { formatVerdict } from '../scenario/verdict.js';
import { caseMismatch, caseStatus, type CaseStatus, type ReportCase } from './case.js';
import { escapeAttr as attr, escapeText as text } from './escape.js';
import { SCRIPT, STYLE } from './html-assets.js';

const MARK: Record<CaseStatus, string> = { ok: '✓', refused: '✗', error: '?' };
const WORD: Record<CaseStatus, string> = { ok: 'QEMU starts', refused: 'QEMU refuses', error: 'could not run' };

const profileRank = (id: string) => {
  const i = PROFILES.findIndex((p) => p.id === id);
  return i < 0 ? PROFILES.length : i;
};

const unexpected = (c: ReportCase) => caseMismatch(c) !== undefined;

/** Values in first-appearance order. */
const unique = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/**
 * The suite as one self-contained HTML page (inline style and script, no external asset, a
 * Content-Security-Policy that forbids loading any): a summary table per QEMU profile ×
 * vendor × backend, then per profile and vendor a matrix of hosts × VM shapes whose cells are
 * coloured by verdict and open QEMU's message and the trace. The summary and the cells work
 * without JavaScript; the script adds the vendor / backend / profile filters. Deterministic:
 * same cases, same bytes.
 */
export function suiteToHtml(cases: readonly ReportCase[], title = 'viommu suite'): string {
  const profiles = unique(cases.map((c) => c.profile)).sort((a, b) => profileRank(a) - profileRank(b));
  const vendors = unique(cases.map((c) => c.vendor)).sort();
  const backends = unique(cases.map((c) => c.backend)).sort();
  const n = (s: CaseStatus) => cases.filter((c) => caseStatus(c) === s).length;
  const bad = cases.filter(unexpected).length;
  const out = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    `<title>${text(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${text(title)}</h1>`,
    `<p>${cases.length} scenarios: ${n('ok')} start, ${n('refused')} refused, ${n('error')} could not run; ` +
      `${bad === 0 ? 'none' : `<strong>${bad}</strong>`} not as expected. ` +
      `<span class="legend"><span class="ok">${MARK.ok}</span>${WORD.ok} <span class="refused">${MARK.refused}</span>${WORD.refused} ` +
      `<span class="error">${MARK.error}</span>${WORD.error} <span class="mismatch">&nbsp;</span>not as expected</span></p>`,
    ...summary(cases, profiles, vendors, backends),
    ...filters(profiles, vendors, backends),
  ];
  for (const p of profiles) for (const v of vendors) out.push(...matrix(cases.filter((c) => c.profile === p && c.vendor === v)));
  out.push(`<script>${SCRIPT}</script>`, '</body>', '</html>', '');
  return out.join('\n');
}

function summary(cases: readonly ReportCase[], profiles: string[], vendors: string[], backends: string[]): string[] {
  const out = [
    '<section>',
    '<h2>Summary</h2>',
    '<table class="summary">',
    '<thead><tr><th>QEMU</th><th>vIOMMU</th><th>backend</th><th>scenarios</th><th>starts</th><th>refused</th><th>not as expected</th><th>could not run</th></tr></thead>',
    '<tbody>',
  ];
  for (const p of profiles) {
    for (const v of vendors) {
      for (const b of backends) {
        const cs = cases.filter((c) => c.profile === p && c.vendor === v && c.backend === b);
        if (!cs.length) continue;
        const n = (s: CaseStatus) => cs.filter((c) => caseStatus(c) === s).length;
        const miss = cs.filter(unexpected).length;
        out.push(
          `<tr data-profile="${attr(p)}" data-vendor="${attr(v)}" data-backend="${attr(b)}"${miss ? ' class="bad"' : ''}>` +
            `<td>${text(p)}</td><td>${text(v)}</td><td>${text(b)}</td><td class="n">${cs.length}</td><td class="n">${n('ok')}</td>` +
            `<td class="n">${n('refused')}</td><td class="n">${miss}</td><td class="n">${n('error')}</td></tr>`,
        );
      }
    }
  }
  out.push('</tbody>', '</table>', '</section>');
  return out;
}

function filters(profiles: string[], vendors: string[], backends: string[]): string[] {
  const select = (name: string, label: string, values: string[]) =>
    `<label>${label} <select name="${name}"><option value="">all</option>${values.map((x) => `<option>${text(x)}</option>`).join('')}</select></label>`;
  return [
    '<form id="filters" hidden>',
    select('vendor', 'vIOMMU', vendors),
    select('backend', 'backend', backends),
    select('profile', 'QEMU', profiles),
    '<label><input type="checkbox" name="failures"> only hosts with a scenario not as expected</label>',
    '</form>',
  ];
}

/** One profile × vendor: hosts (rows) × shapes (columns). */
function matrix(cases: readonly ReportCase[]): string[] {
  if (!cases.length) return [];
  const { profile, vendor } = cases[0]!;
  const key = (c: ReportCase) => `${c.backend}\u0000${c.shape}`;
  const cols = unique(cases.map(key)).map((k) => cases.find((c) => key(c) === k)!);
  const hosts = unique(cases.map((c) => c.host));
  const at = new Map(cases.map((c) => [`${c.host}\u0000${key(c)}`, c]));
  const out = [
    `<section class="matrix" data-profile="${attr(profile)}" data-vendor="${attr(vendor)}">`,
    `<h2>QEMU ${text(profile)} · ${text(vendor)}</h2>`,
    '<table>',
    `<thead><tr><th>host</th>${cols.map((c) => `<th class="col" data-backend="${attr(c.backend)}">${text(c.shape)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
  ];
  for (const h of hosts) {
    const cells = cols.map((col) => {
      const c = at.get(`${h}\u0000${key(col)}`);
      return c ? cell(c) : `<td class="none" data-backend="${attr(col.backend)}"></td>`;
    });
    out.push(`<tr><th>${text(h)}</th>${cells.join('')}</tr>`);
  }
  out.push('</tbody>', '</table>', '</section>');
  return out;
}

function cell(c: ReportCase): string {
  const status = caseStatus(c);
  const why = caseMismatch(c);
  const cls = `cell ${status}${why !== undefined ? ' bad mismatch' : ''}`;
  const v = c.verdict;
  const body = [`<h3>${text(c.host)} · ${text(c.shape)} · QEMU ${text(c.profile)}: ${WORD[status]}</h3>`];
  if (why !== undefined) body.push(`<p class="why">Not as expected: ${text(why)}</p>`);
  else if (c.expected) body.push(`<p class="expected">As expected: ${text(c.expected)}</p>`);
  body.push(`<p class="cmd">${text(c.args)}</p>`);
  if (!v) body.push(`<pre class="message">${text(c.error ?? '')}</pre>`);
  else {
    const shown = new Set<string>();
    if (v.refusal) {
      const r = v.refusal;
      const lines = [r.printed, ...(r.hint ? r.hint.split('\n') : []), `  stage: ${r.stage}${r.errno ? `, errno ${r.errno}` : ''}`];
      for (const l of lines) shown.add(l);
      body.push(`<pre class="message">${text(lines.join('\n'))}</pre>`);
    }
    // The verdict as `viommu check` prints it (release, vIOMMU registers and flags, HWPTs, kernel objects), less what is above.
    const facts = formatVerdict(v, { trace: false }).split('\n').filter((l) => !shown.has(l));
    body.push(`<pre class="facts">${text(facts.join('\n'))}</pre>`);
    if (v.trace.entries.length) body.push(`<pre class="trace">${text(v.trace.format())}</pre>`);
  }
  const tip = v?.refusal?.message ?? c.error ?? WORD[status];
  return (
    `<td class="${cls}" data-backend="${attr(c.backend)}" data-case="${attr(c.id)}"><details><summary title="${attr(tip)}">${MARK[status]}</summary>` +
    `<div class="detail" role="dialog">${body.join('')}</div></details></td>`
  );
}
