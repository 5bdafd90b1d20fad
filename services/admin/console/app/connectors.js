// Connectors: one row each, refreshed every few seconds; pause and resume for operators.
import { api } from './api.js';
import { BreakerStrip, Sparkline } from './plots.js';
import { useAction, usePoll } from './poll.js';
import { href } from './route.js';
import { Badge, Freshness, ProblemAlert, TONES, hasRole, html, number, time } from './ui.js';

/** Dead letters per minute over the last five minutes of the history. */
function ratePerMinute(history) {
  const recent = Object.values(history?.deadLetters ?? {}).map((counts) => counts.slice(-5).reduce((a, b) => a + b, 0));
  return recent.reduce((a, b) => a + b, 0) / 5;
}

function totals(history) {
  const series = Object.values(history?.deadLetters ?? {});
  if (series.length === 0) return new Array(60).fill(0);
  return series[0].map((_, i) => series.reduce((sum, counts) => sum + counts[i], 0));
}

function backlog(source) {
  if (source.queue) return html`${number(source.queue.ready)} <span class="unit">ready in ${source.queue.name}</span>`;
  return html`${number(source.lag)} <span class="unit">lag</span>`;
}

function Row({ connector: c, history, since, canOperate, onAction, busy }) {
  const paused = c.paused.includes('operator');
  const action = paused ? 'resume' : 'pause';
  const dlq = history ? ratePerMinute(history) : 0;
  return html`<tr>
    <th scope="row">${c.name}</th>
    <td><${Badge} tone=${TONES[c.connector.state] ?? 'muted'}>${c.connector.state}<//>
      <div class="sub">${c.lifecycle}${c.paused.length ? `, paused: ${c.paused.join(', ')}` : ''}</div></td>
    <td><${Badge} tone=${TONES[c.breaker]}>${c.breaker}<//>
      ${history?.breaker.length
        ? html`<${BreakerStrip} changes=${history.breaker} since=${since} /><div class="sub">${history.breaker.at(-1).state} since ${new Date(history.breaker.at(-1).at).toLocaleTimeString()}</div>`
        : null}</td>
    <td>${c.backend.ready === null ? 'unknown' : c.backend.ready ? 'ready' : html`<${Badge} tone="bad">not ready<//>`}
      <div class="sub">${c.backend.kind} ${c.backend.model}</div></td>
    <td class="num">${number(c.inFlight)}<div class="sub">limit ${c.concurrency.limit}/${c.concurrency.max}</div></td>
    <td class="num">${backlog(c.source)}</td>
    <td class="num">${dlq.toFixed(1)}<span class="unit">/min</span>
      <div><${Sparkline} values=${totals(history)} label=${`Dead letters of ${c.name} per minute`} /></div></td>
    <td class="last-error">${c.lastError
      ? html`<a href=${href('dead-letters', { connector: c.name, code: c.lastError.code })}>${c.lastError.code}</a>
          <div class="sub">${c.lastError.stage ?? ''} ${time(c.lastError.at)}</div><div class="message">${c.lastError.message}</div>`
      : 'none'}</td>
    ${canOperate
      ? html`<td><button type="button" onClick=${() => onAction(c.name, action)} disabled=${busy === c.name} aria-label=${`${paused ? 'Resume' : 'Pause'} ${c.name}`}>
          ${paused ? 'Resume' : 'Pause'}</button></td>`
      : null}
  </tr>`;
}

export function ConnectorsView({ me }) {
  const poll = usePoll(() => api('GET', 'connectors'), [], { everyMs: 3000 });
  const history = usePoll(() => api('GET', 'history'), [], { everyMs: 15_000 });
  const action = useAction();
  const canOperate = hasRole(me.role, 'operator');
  const histories = new Map((history.data?.connectors ?? []).map((c) => [c.name, c]));
  const onAction = (name, verb) =>
    action.run(name, async () => {
      await api('PUT', `connectors/${encodeURIComponent(name)}/${verb}`);
      poll.refresh();
    });

  return html`<section aria-labelledby="connectors-title">
    <h1 id="connectors-title">Connectors</h1>
    <${ProblemAlert} error=${action.error} />
    <${ProblemAlert} error=${poll.error} />
    <${ProblemAlert} error=${history.error} />
    <${Freshness} poll=${poll} />
    ${poll.data
      ? html`<div class="table-wrap"><table class="connectors">
          <caption class="visually-hidden">Connectors of this worker</caption>
          <thead><tr>
            <th scope="col">Connector</th><th scope="col">State</th><th scope="col">Breaker (last hour)</th><th scope="col">Model</th>
            <th scope="col">In flight</th><th scope="col">Lag / queue</th><th scope="col">Dead letters</th><th scope="col">Last error</th>
            ${canOperate ? html`<th scope="col">Intake</th>` : null}
          </tr></thead>
          <tbody>${poll.data.connectors.map((c) => html`<${Row} key=${c.name} connector=${c} history=${histories.get(c.name)} since=${history.data?.since} canOperate=${canOperate} onAction=${onAction} busy=${action.busy} />`)}</tbody>
        </table></div>`
      : poll.loading ? html`<p>Loading…</p>` : null}
  </section>`;
}
