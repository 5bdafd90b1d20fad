// The audit trail, newest first, a page at a time (admins only; the API refuses others).
import { useEffect, useState } from 'preact/hooks';
import { api, query } from './api.js';
import { Badge, ProblemAlert, html, time } from './ui.js';

const PAGE = 50;

function counts(value) {
  if (!value || typeof value !== 'object') return '';
  return Object.entries(value).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v}`).join(', ');
}

export function AuditView() {
  const [state, setState] = useState({ items: [], nextCursor: undefined, loading: true, error: undefined });
  async function load(cursor) {
    setState((s) => ({ ...s, loading: true, error: undefined }));
    try {
      const page = await api('GET', `audit?${query({ limit: PAGE, cursor })}`);
      setState((s) => ({ items: cursor ? [...s.items, ...page.items] : page.items, nextCursor: page.nextCursor, loading: false, error: undefined }));
    } catch (error) {
      setState((s) => ({ ...s, loading: false, error }));
    }
  }
  useEffect(() => void load(), []);
  return html`<section aria-labelledby="audit-title">
    <h1 id="audit-title">Audit trail</h1>
    <button type="button" onClick=${() => load()}>Refresh</button>
    <${ProblemAlert} error=${state.error} />
    <div class="table-wrap"><table class="audit">
      <caption class="visually-hidden">Audit records, newest first</caption>
      <thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Counts</th></tr></thead>
      <tbody>${state.items.map((r) => html`<tr key=${r.id}>
        <td>${time(r.time)}</td>
        <td>${r.actor.username ?? r.actor.sub}</td>
        <td><code>${r.action}</code></td>
        <td><code>${r.target}</code></td>
        <td><${Badge} tone=${r.outcome === 'ok' || r.outcome === 'succeeded' ? 'ok' : r.outcome === 'refused' || r.outcome === 'failed' ? 'bad' : 'warn'}>${r.outcome}<//>${r.detail ? html`<div class="message">${r.detail}</div>` : null}</td>
        <td class="sub">${counts(r.counts)}</td>
      </tr>`)}</tbody>
    </table></div>
    ${state.loading ? html`<p>Loading…</p>` : null}
    ${state.nextCursor && !state.loading ? html`<button type="button" onClick=${() => load(state.nextCursor)}>Older records</button>` : null}
  </section>`;
}
