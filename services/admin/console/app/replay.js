// Replay: build a filter, dry-run it (counts and a preview), set rate and maximum, start the job, and
// follow every job's progress; operators may cancel a running one. The form lives in the page's
// address as it is typed, so a link, a reload or a sign-in round trip brings it back.
import { useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { JobProgress } from './plots.js';
import { useAction, usePoll } from './poll.js';
import { keepInAddress, listParam } from './route.js';
import { Badge, ProblemAlert, TONES, hasRole, html, number, time, toIso, toLocalInput } from './ui.js';

const STAGES = ['receive', 'decode', 'validate', 'map', 'infer', 'publish'];
const FIELDS = ['connector', 'codes', 'stages', 'since', 'until', 'key', 'eventIds', 'predicate', 'rate', 'max'];

function formFrom(params, connectors) {
  const form = Object.fromEntries(FIELDS.map((name) => [name, params.get(name) ?? '']));
  form.connector ||= connectors[0]?.name ?? '';
  form.codes = listParam(params, 'codes');
  form.stages = listParam(params, 'stages');
  return form;
}

/** The API request for the form (empty fields left out). */
export function requestOf(form) {
  const filter = {};
  if (form.codes.length) filter.codes = form.codes;
  if (form.stages.length) filter.stages = form.stages;
  if (form.since || form.until) filter.window = { ...(form.since ? { since: form.since } : {}), ...(form.until ? { until: form.until } : {}) };
  if (form.key) filter.key = form.key;
  const ids = form.eventIds.split(/[\s,]+/).filter(Boolean);
  if (ids.length) filter.eventIds = ids;
  if (form.predicate.trim()) filter.predicate = form.predicate;
  const request = { from: { connector: form.connector }, filter };
  if (form.rate !== '') request.rate = Number(form.rate);
  if (form.max !== '') request.max = Number(form.max);
  return request;
}

function DryRun({ result }) {
  return html`<section class="dry-run" aria-labelledby="dry-title" aria-live="polite">
    <h2 id="dry-title">Dry run</h2>
    <p><strong data-testid="dry-run-matched">${number(result.matched)}</strong> of ${number(result.scanned)} dead letters match${result.wouldPark ? html`; ${number(result.wouldPark)} would be parked (replay cap reached)` : ''}.</p>
    <div class="table-wrap"><table>
      <caption>Matches by code</caption>
      <thead><tr><th scope="col">Code</th><th scope="col" class="num">Count</th></tr></thead>
      <tbody>${Object.entries(result.byCode).map(([code, count]) => html`<tr><th scope="row">${code}</th><td class="num">${number(count)}</td></tr>`)}</tbody>
    </table></div>
    ${result.preview.length
      ? html`<div class="table-wrap"><table>
          <caption>Preview (first ${result.preview.length})</caption>
          <thead><tr><th scope="col">Position</th><th scope="col">Code</th><th scope="col">Event id</th><th scope="col">Key</th><th scope="col">Replayed</th></tr></thead>
          <tbody>${result.preview.map((v) => html`<tr><td><code>${v.position}</code></td><td>${v.code ?? '–'}</td><td>${v.eventId ?? '–'}</td><td>${v.key ?? '–'}</td><td class="num">${v.replayCount}</td></tr>`)}</tbody>
        </table></div>`
      : null}
  </section>`;
}

function Jobs({ canOperate, started }) {
  const action = useAction();
  // Every second while a job runs, every five otherwise.
  const running = useRef(false);
  const jobs = usePoll(() => api('GET', 'replays'), [started], { everyMs: running.current ? 1000 : 5000 });
  running.current = (jobs.data?.jobs ?? []).some((job) => job.state === 'running');
  const cancel = (id) =>
    action.run(id, async () => {
      await api('DELETE', `replays/${encodeURIComponent(id)}`);
      jobs.refresh();
    });
  const list = jobs.data?.jobs ?? [];
  return html`<section aria-labelledby="jobs-title">
    <h2 id="jobs-title">Replay jobs</h2>
    <${ProblemAlert} error=${action.error} />
    <${ProblemAlert} error=${jobs.error} />
    ${list.length === 0 && !jobs.loading ? html`<p>No replay jobs in this worker yet.</p>` : null}
    ${list.length
      ? html`<div class="table-wrap"><table class="jobs">
          <caption class="visually-hidden">Replay jobs, newest first</caption>
          <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Started</th><th scope="col">By</th>${canOperate ? html`<th scope="col"><span class="visually-hidden">Cancel</span></th>` : null}</tr></thead>
          <tbody>${list.map((job) => html`<tr key=${job.id} data-job=${job.id}>
            <th scope="row"><code>${job.id}</code><div class="sub">${job.request.from.connector}</div></th>
            <td><${Badge} tone=${TONES[job.state]}>${job.state}<//>${job.error ? html`<div class="message">${job.error}</div>` : null}</td>
            <td><${JobProgress} progress=${job.progress} />
              <div class="sub">${number(job.progress.moved)} moved of ${number(job.progress.matched)} matched${job.progress.etaSeconds !== undefined && job.state === 'running' ? `, about ${Math.ceil(job.progress.etaSeconds)} s left` : ''}</div></td>
            <td>${time(job.startedAt)}${job.finishedAt ? html`<div class="sub">ended ${time(job.finishedAt)}</div>` : null}</td>
            <td>${job.actor.username ?? job.actor.sub}</td>
            ${canOperate ? html`<td>${job.state === 'running' ? html`<button type="button" onClick=${() => cancel(job.id)} disabled=${action.busy === job.id} aria-label=${`Cancel ${job.id}`}>Cancel</button>` : null}</td>` : null}
          </tr>`)}</tbody>
        </table></div>`
      : null}
  </section>`;
}

export function ReplayView({ me, params, connectors }) {
  const canOperate = hasRole(me.role, 'operator');
  const [form, setForm] = useState(() => formFrom(params, connectors));
  const [result, setResult] = useState();
  const action = useAction();
  const [started, setStarted] = useState(0);
  const counts = usePoll(() => (form.connector ? api('GET', `dead-letters?connector=${encodeURIComponent(form.connector)}&limit=1`) : Promise.resolve(undefined)), [form.connector], { everyMs: 0 });
  const knownCodes = [...new Set([...Object.keys(counts.data?.counts.byCode ?? {}), ...form.codes])].sort();

  const update = (next) => {
    setForm(next);
    setResult(undefined);
    keepInAddress('replay', next);
  };
  const field = (name) => (event) => update({ ...form, [name]: event.currentTarget.value });
  const toggle = (name, value) => (event) => update({ ...form, [name]: event.currentTarget.checked ? [...form[name], value] : form[name].filter((v) => v !== value) });

  const submit = (dryRun) =>
    action.run(dryRun ? 'dry-run' : 'start', async () => {
      const answer = await api('POST', 'replays', { ...requestOf(form), ...(dryRun ? { dryRun: true, previewSize: 20 } : {}) });
      // The dry run's result stays beside the job it led to.
      if (dryRun) setResult(answer);
      else setStarted((n) => n + 1);
    });

  return html`<section aria-labelledby="replay-title">
    <h1 id="replay-title">Replay</h1>
    ${canOperate
      ? html`<form class="replay-form" onSubmit=${(e) => (e.preventDefault(), submit(true))} aria-label="Replay filter">
          <fieldset><legend>From</legend>
            <label>Dead letters of connector <select name="connector" value=${form.connector} onChange=${field('connector')}>${connectors.map((c) => html`<option value=${c.name}>${c.name}</option>`)}</select></label>
          </fieldset>
          <fieldset><legend>Error codes <span class="sub">(none ticked: any)</span></legend>
            ${knownCodes.length === 0 ? html`<p class="sub">No dead letters to choose a code from.</p>` : null}
            ${knownCodes.map((code) => html`<label class="check"><input type="checkbox" name="codes" value=${code} checked=${form.codes.includes(code)} onChange=${toggle('codes', code)} /> ${code}${counts.data?.counts.byCode[code] !== undefined ? html` <span class="sub">(${counts.data.counts.byCode[code]})</span>` : null}</label>`)}
          </fieldset>
          <fieldset><legend>Stages <span class="sub">(none ticked: any)</span></legend>
            ${STAGES.map((stage) => html`<label class="check"><input type="checkbox" name="stages" value=${stage} checked=${form.stages.includes(stage)} onChange=${toggle('stages', stage)} /> ${stage}</label>`)}
          </fieldset>
          <fieldset><legend>Failed between</legend>
            <label>From <input type="datetime-local" step="1" name="since" value=${toLocalInput(form.since)} onInput=${(e) => update({ ...form, since: toIso(e.currentTarget.value) ?? '' })} /></label>
            <label>Before <input type="datetime-local" step="1" name="until" value=${toLocalInput(form.until)} onInput=${(e) => update({ ...form, until: toIso(e.currentTarget.value) ?? '' })} /></label>
          </fieldset>
          <fieldset><legend>Message</legend>
            <label>Key equals <input name="key" value=${form.key} onInput=${field('key')} /></label>
            <label>Event ids <span class="sub">(comma-separated)</span> <input name="eventIds" value=${form.eventIds} onInput=${field('eventIds')} /></label>
            <label class="wide">JSONata predicate over <code>{ headers, value }</code> <textarea name="predicate" rows="2" value=${form.predicate} onInput=${field('predicate')}></textarea></label>
          </fieldset>
          <fieldset><legend>Pace</legend>
            <label>Rate <span class="sub">(messages per second, empty: unlimited)</span> <input type="number" name="rate" min="0.1" step="any" value=${form.rate} onInput=${field('rate')} /></label>
            <label>At most <span class="sub">(messages, empty: all matches)</span> <input type="number" name="max" min="1" step="1" value=${form.max} onInput=${field('max')} /></label>
          </fieldset>
          <div class="actions">
            <button type="submit" disabled=${action.busy !== undefined}>Dry run</button>
            <button type="button" class="primary" disabled=${action.busy !== undefined} onClick=${() => submit(false)}>Start replay</button>
          </div>
        </form>`
      : html`<p class="note">Starting replays needs the operator role. Jobs are shown below.</p>`}
    <${ProblemAlert} error=${action.error} />
    <${ProblemAlert} error=${counts.error} />
    ${result ? html`<${DryRun} result=${result} />` : null}
    <${Jobs} canOperate=${canOperate} started=${started} />
  </section>`;
}
