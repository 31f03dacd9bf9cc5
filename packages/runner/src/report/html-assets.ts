/** The report's style sheet: verdict colours, the matrix, the detail panel (opens without JS). */
export const STYLE = `
:root { --ok: #1b7f3b; --ok-bg: #dcf3e3; --no: #b3261e; --no-bg: #fadcd9; --err: #5f6368; --err-bg: #e8eaed; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 1.5rem 3rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .2rem .45rem; text-align: left; }
thead th { background: #f6f8fa; font-weight: 600; vertical-align: bottom; }
.summary td.n { text-align: right; font-variant-numeric: tabular-nums; }
.summary tr.bad td:first-child { border-left: 4px solid var(--no); }
.legend span, td.cell summary { display: inline-block; min-width: 1.7rem; text-align: center; border-radius: 4px; font-weight: 700; }
.legend span { padding: 0 .4rem; margin-right: .6rem; }
.ok { background: var(--ok-bg); color: var(--ok); }
.refused { background: var(--no-bg); color: var(--no); }
.error { background: var(--err-bg); color: var(--err); }
.mismatch { outline: 3px solid #8250df; outline-offset: -3px; }
.matrix th.col { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-size: 12px; }
.matrix th.col small { color: #59636e; font-weight: 400; }
.matrix tbody th { font-weight: 500; white-space: nowrap; }
td.cell { padding: 0; }
td.cell summary { cursor: pointer; list-style: none; padding: .2rem .3rem; width: 100%; }
td.cell summary::-webkit-details-marker { display: none; }
td.cell details[open] summary { box-shadow: inset 0 0 0 2px #0969da; }
.detail { position: fixed; right: 1rem; bottom: 1rem; z-index: 10; width: min(100ch, 45vw, calc(100vw - 2rem)); max-height: 70vh; overflow: auto;
  background: #fff; color: #1f2328; border: 1px solid #8c959f; border-radius: 6px; box-shadow: 0 8px 24px rgba(0,0,0,.2); padding: .6rem .9rem; font-weight: 400; text-align: left; }
.detail h3 { margin: 0 0 .3rem; font-size: 1rem; }
.detail .cmd { font-family: ui-monospace, monospace; font-size: 12px; color: #59636e; word-break: break-all; }
.detail .why { color: #8250df; font-weight: 600; }
.detail pre { margin: .4rem 0; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
.detail pre.message { color: var(--no); font-weight: 600; }
.detail pre.trace { background: #f6f8fa; padding: .4rem; border-radius: 4px; }
#filters { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; padding: .5rem .75rem; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; }
[hidden], .off { display: none !important; }
`;

/**
 * Filters (vendor, backend, profile, failures only) and one open cell at a time. Without
 * JavaScript the filter bar stays hidden and every cell still opens (`<details>`).
 */
export const SCRIPT = `
(() => {
  const form = document.getElementById('filters');
  form.hidden = false;
  const pick = (name) => form.elements[name].value;
  const apply = () => {
    const v = pick('vendor'), b = pick('backend'), p = pick('profile'), onlyBad = form.elements.failures.checked;
    const is = (el, k, want) => !want || el.dataset[k] === undefined || el.dataset[k] === want;
    const keep = (el) => is(el, 'vendor', v) && is(el, 'backend', b) && is(el, 'profile', p);
    for (const el of document.querySelectorAll('.summary tbody tr, section.matrix, section.matrix [data-backend]')) el.classList.toggle('off', !keep(el));
    for (const tr of document.querySelectorAll('section.matrix tbody tr')) tr.classList.toggle('off', onlyBad && !tr.querySelector('td.bad:not(.off)'));
  };
  form.addEventListener('change', apply);
  document.addEventListener('toggle', (e) => {
    if (!e.target.open) return;
    for (const d of document.querySelectorAll('td.cell details[open]')) if (d !== e.target) d.open = false;
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') for (const d of document.querySelectorAll('td.cell details[open]')) d.open = false;
  });
  apply();
})();
`;
