// Shared pieces: the html tag, the problem alert every view shows API errors with, and formatting.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

const ROLES = ['viewer', 'operator', 'admin'];

/** True when `role` is at least `required` (viewer < operator < admin), as the API decides. */
export const hasRole = (role, required) => ROLES.indexOf(role) >= 0 && ROLES.indexOf(role) >= ROLES.indexOf(required);

/** An API error as its problem's title and detail (and the invalid fields, if any). */
export function ProblemAlert({ error }) {
  if (!error) return null;
  const title = error.title ?? 'Error';
  const detail = error.detail ?? (error.title ? undefined : error.message);
  return html`<div class="problem" role="alert">
    <strong class="problem-title">${title}</strong>${detail ? html`: <span class="problem-detail">${detail}</span>` : null}
    ${error.errors?.length ? html`<ul>${error.errors.map((e) => html`<li><code>${e.path}</code>: ${e.message}</li>`)}</ul>` : null}
  </div>`;
}

/** A state as a word with a colour; the word carries the meaning, the colour only helps. */
export function Badge({ tone, children }) {
  return html`<span class="badge badge-${tone}">${children}</span>`;
}

export const TONES = { RUNNING: 'ok', closed: 'ok', succeeded: 'ok', running: 'info', PAUSED: 'warn', UNASSIGNED: 'warn', 'half-open': 'warn', cancelled: 'warn', open: 'bad', FAILED: 'bad', STOPPED: 'muted', failed: 'bad' };

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export const number = (value) => (value === null || value === undefined ? '–' : Number(value).toLocaleString());

/** `<input type="datetime-local">` value ↔ ISO-8601 with the browser's offset. */
export const toIso = (local) => (local ? new Date(local).toISOString() : undefined);
export function toLocalInput(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

/** The "updated at … / retrying" line under a refreshing view. */
export function Freshness({ poll }) {
  if (poll.error) return html`<p class="freshness stale">Refresh failed${poll.at ? `; showing data from ${time(poll.at)}` : ''}. Retrying with backoff.</p>`;
  return poll.at ? html`<p class="freshness">Updated ${poll.at.toLocaleTimeString()}</p>` : null;
}
