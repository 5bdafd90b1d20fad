// Dead letters of one connector's DLQ: counts by code (with the last hour as a sparkline) and by
// connector, a filtered list, and one message in full. Code and time window are filtered by the API;
// the end of the window and the text search (event id or key) apply to the pages loaded.
import { useEffect, useState } from 'preact/hooks';
import { api, query } from './api.js';
import { Sparkline } from './plots.js';
import { usePoll } from './poll.js';
import { href } from './route.js';
import { ProblemAlert, hasRole, html, number, time, toIso, toLocalInput } from './ui.js';

const PAGE = 200;
const ORIGIN_PREFIX = 'mb-dlq-origin-';

function matches(item, filter) {
  if (filter.until) {
    const at = Date.parse(item.headers['mb-dlq-last-failure-at'] ?? '');
    if (!(at < Date.parse(filter.until))) return false;
  }
  if (!filter.q) return true;
  const needle = filter.q.toLowerCase();
  return [item.eventId, item.key].some((text) => typeof text === 'string' && text.toLowerCase().includes(needle));
}

function pretty(value, contentType) {
  if (value === null) return '(no value)';
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return contentType?.includes('json') ? `${value}\n\n(not valid JSON)` : value;
  }
}

function Detail({ connector, position, onClose }) {
  const detail = usePoll(() => api('GET', `dead-letters/${encodeURIComponent(position)}?${query({ connector })}`), [connector, position], { everyMs: 0 });
  const letter = detail.data;
  const headers = letter ? Object.entries(letter.headers) : [];
  const origin = headers.filter(([name]) => name.startsWith(ORIGIN_PREFIX));
  const failureHistory = letter?.headers['mb-dlq-history'];
  return html`<section class="detail" aria-labelledby="detail-title">
    <h2 id="detail-title" tabindex="-1">Dead letter ${position}</h2>
    <button type="button" class="close" onClick=${onClose}>Close</button>
    <${ProblemAlert} error=${detail.error} />
    ${letter
      ? html`<dl class="facts">
            <dt>Code</dt><dd>${letter.code ?? '–'}</dd>
            <dt>Event id</dt><dd>${letter.eventId ?? '–'}</dd>
            <dt>Key</dt><dd>${letter.key ?? '–'}</dd>
            <dt>Replayed</dt><dd>${letter.replayCount} time(s)</dd>
            <dt>Size</dt><dd>${number(letter.valueBytes)} bytes${letter.contentType ? `, ${letter.contentType}` : ''}</dd>
          </dl>
          <h3>Origin</h3>
          ${origin.length
            ? html`<dl class="facts">${origin.map(([name, value]) => html`<dt>${name.slice(ORIGIN_PREFIX.length)}</dt><dd>${value}</dd>`)}</dl>`
            : html`<p>No origin recorded: this message cannot be replayed to its origin.</p>`}
          <h3>Value</h3>
          <pre class="value" tabindex="0">${pretty(letter.value, letter.contentType)}</pre>
          ${failureHistory ? html`<h3>Earlier failures</h3><pre class="value" tabindex="0">${pretty(failureHistory, 'json')}</pre>` : null}
          <h3>Headers</h3>
          <div class="table-wrap"><table>
            <caption class="visually-hidden">Headers of dead letter ${position}</caption>
            <thead><tr><th scope="col">Header</th><th scope="col">Value</th></tr></thead>
            <tbody>${headers.map(([name, value]) => html`<tr><th scope="row"><code>${name}</code></th><td class="header-value">${value}</td></tr>`)}</tbody>
          </table></div>`
      : detail.loading ? html`<p>Loading…</p>` : null}
  </section>`;
}

export function DeadLettersView({ me, params, connectors }) {
  const names = connectors.map((c) => c.name);
  const filter = {
    connector: params.get('connector') ?? names[0] ?? '',
    code: params.get('code') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
    q: params.get('q') ?? '',
  };
  const show = params.get('show') ?? '';
  const [form, setForm] = useState(filter);
  const [pages, setPages] = useState({ items: [], nextCursor: undefined, loading: false, error: undefined, counts: undefined, total: undefined });
  const history = usePoll(() => api('GET', 'history'), [], { everyMs: 30_000 });
  const key = JSON.stringify(filter);

  async function load(cursor) {
    if (!filter.connector) return;
    setPages((p) => ({ ...p, loading: true, error: undefined }));
    try {
      const page = await api('GET', `dead-letters?${query({ connector: filter.connector, code: filter.code, since: filter.since, limit: PAGE, cursor })}`);
      setPages((p) => ({ items: cursor ? [...p.items, ...page.items] : page.items, nextCursor: page.nextCursor, counts: page.counts, total: page.total, loading: false, error: undefined }));
    } catch (error) {
      setPages((p) => ({ ...p, loading: false, error }));
    }
  }
  useEffect(() => {
    setForm(filter);
    void load();
  }, [key]);

  const go = (next) => {
    location.hash = href('dead-letters', next);
  };
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  const onSubmit = (event) => {
    event.preventDefault();
    go(form);
  };
  const spark = new Map(Object.entries(history.data?.connectors.find((c) => c.name === filter.connector)?.deadLetters ?? {}));
  const shown = pages.items.filter((item) => matches(item, filter));
  const byCode = Object.entries(pages.counts?.byCode ?? {}).sort((a, b) => b[1] - a[1]);
  const byConnector = Object.entries(pages.counts?.byConnector ?? {}).sort((a, b) => b[1] - a[1]);

  return html`<section aria-labelledby="dl-title">
    <h1 id="dl-title">Dead letters</h1>
    <form class="filters" onSubmit=${onSubmit} aria-label="Filter dead letters">
      <label>Connector <select value=${form.connector} onChange=${field('connector')}>${names.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
      <label>Error code <input value=${form.code} onInput=${field('code')} placeholder="any" list="dl-codes" /></label>
      <datalist id="dl-codes">${byCode.map(([code]) => html`<option value=${code} />`)}</datalist>
      <label>Failed from <input type="datetime-local" step="1" value=${toLocalInput(form.since)} onInput=${(e) => setForm({ ...form, since: toIso(e.currentTarget.value) ?? '' })} /></label>
      <label>Failed before <input type="datetime-local" step="1" value=${toLocalInput(form.until)} onInput=${(e) => setForm({ ...form, until: toIso(e.currentTarget.value) ?? '' })} /></label>
      <label>Event id or key contains <input type="search" value=${form.q} onInput=${field('q')} /></label>
      <button type="submit">Apply</button>
      <button type="button" onClick=${() => load()}>Refresh</button>
    </form>
    <${ProblemAlert} error=${pages.error} />
    <${ProblemAlert} error=${history.error} />
    <div class="counts">
      <div class="table-wrap"><table aria-describedby="by-code-note">
        <caption>By error code${pages.total !== undefined ? html` <span class="sub">(${number(pages.total)} in the DLQ)</span>` : null}</caption>
        <thead><tr><th scope="col">Code</th><th scope="col" class="num">Count</th><th scope="col">Last hour, per minute</th></tr></thead>
        <tbody>${byCode.map(([code, count]) => html`<tr>
          <th scope="row"><a href=${href('dead-letters', { ...filter, code })}>${code}</a></th>
          <td class="num" data-code=${code}>${number(count)}</td>
          <td><${Sparkline} values=${spark.get(code) ?? new Array(60).fill(0)} label=${`${code} per minute`} /></td></tr>`)}</tbody>
      </table></div>
      <div class="table-wrap"><table>
        <caption>By connector</caption>
        <thead><tr><th scope="col">Connector</th><th scope="col" class="num">Count</th></tr></thead>
        <tbody>${byConnector.map(([name, count]) => html`<tr><th scope="row">${name}</th><td class="num">${number(count)}</td></tr>`)}</tbody>
      </table></div>
      <p id="by-code-note" class="sub">Counts cover the whole dead-letter destination; sparklines, what this worker dead-lettered in the last hour.</p>
    </div>
    <div class="list-head">
      <h2>Messages <span class="sub">${shown.length} shown${pages.nextCursor ? ', more to load' : ''}</span></h2>
      ${hasRole(me.role, 'operator') && filter.connector
        ? html`<a class="button" href=${href('replay', { connector: filter.connector, codes: filter.code, since: filter.since, until: filter.until })}>Replay these…</a>`
        : null}
    </div>
    <div class="table-wrap"><table class="dead-letters">
      <caption class="visually-hidden">Dead letters matching the filter</caption>
      <thead><tr><th scope="col">Position</th><th scope="col">Last failure</th><th scope="col">Code</th><th scope="col">Event id</th><th scope="col">Key</th><th scope="col">Message</th><th scope="col"><span class="visually-hidden">Details</span></th></tr></thead>
      <tbody>${shown.map((item) => html`<tr key=${item.position} class=${item.position === show ? 'selected' : ''}>
        <td><code>${item.position}</code></td>
        <td>${time(item.headers['mb-dlq-last-failure-at'])}</td>
        <td>${item.code ?? '–'}</td>
        <td>${item.eventId ?? '–'}</td>
        <td>${item.key ?? '–'}</td>
        <td class="message">${item.headers['mb-dlq-message'] ?? ''}</td>
        <td><button type="button" onClick=${() => go({ ...filter, show: item.position })} aria-label=${`Details of ${item.position}`}>Details</button></td>
      </tr>`)}</tbody>
    </table></div>
    ${pages.loading ? html`<p>Loading…</p>` : null}
    ${pages.nextCursor && !pages.loading ? html`<button type="button" onClick=${() => load(pages.nextCursor)}>Load more</button>` : null}
    ${show ? html`<${Detail} connector=${filter.connector} position=${show} onClose=${() => go(filter)} />` : null}
  </section>`;
}
