// The console's shell: sign-in, the header with the views a role may use, and the current view.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { AuditView } from './audit.js';
import { ConnectorsView } from './connectors.js';
import { DeadLettersView } from './dead-letters.js';
import { usePoll } from './poll.js';
import { ReplayView } from './replay.js';
import { href, useRoute } from './route.js';
import { onSessionChange, sessionState, signIn, signOut, startSession } from './session.js';
import { ProblemAlert, hasRole, html } from './ui.js';

const VIEWS = [
  { view: 'connectors', label: 'Connectors', role: 'viewer' },
  { view: 'dead-letters', label: 'Dead letters', role: 'viewer' },
  { view: 'replay', label: 'Replay', role: 'viewer' },
  { view: 'audit', label: 'Audit trail', role: 'admin' },
];

function useSession() {
  const [session, setSession] = useState(sessionState);
  useEffect(() => onSessionChange(() => setSession(sessionState())), []);
  return session;
}

function SignIn({ session, config }) {
  return html`<main class="sign-in" id="main">
    <h1>Modelbridge console</h1>
    ${session.status === 'expired'
      ? html`<p class="notice" role="alert">Your session has expired. Sign in again: the page you were on and what you had entered are kept.</p>`
      : null}
    <${ProblemAlert} error=${session.error} />
    <p>Sign in with your organisation's account at <code>${new URL(config.issuer).host}</code>.</p>
    <button type="button" class="primary" autofocus onClick=${() => signIn()}>Sign in</button>
  </main>`;
}

function Console({ session }) {
  const route = useRoute();
  const me = usePoll(() => api('GET', 'me'), [], { everyMs: 0 });
  const connectors = usePoll(() => api('GET', 'connectors'), [], { everyMs: 0 });
  useEffect(() => document.getElementById('main')?.focus({ preventScroll: true }), [route.view]);
  const role = me.data?.role;
  const views = VIEWS.filter((v) => hasRole(role, v.role));
  const current = VIEWS.find((v) => v.view === route.view) ?? VIEWS[0];
  document.title = `${current.label} · Modelbridge console`;

  let body = null;
  if (me.data && connectors.data) {
    const props = { me: me.data, params: route.params, connectors: connectors.data.connectors };
    if (!hasRole(role, current.role)) body = html`<${ProblemAlert} error=${{ title: 'Forbidden', detail: `this view requires the ${current.role} role` }} />`;
    else if (current.view === 'dead-letters') body = html`<${DeadLettersView} ...${props} />`;
    else if (current.view === 'replay') body = html`<${ReplayView} ...${props} />`;
    else if (current.view === 'audit') body = html`<${AuditView} />`;
    else body = html`<${ConnectorsView} ...${props} />`;
  }
  return html`<a class="skip" href="#main" onClick=${(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>Skip to content</a>
    <header class="top">
      <span class="brand">Modelbridge console</span>
      <nav aria-label="Views"><ul>${views.map((v) => html`<li><a href=${href(v.view)} aria-current=${v.view === current.view ? 'page' : undefined}>${v.label}</a></li>`)}</ul></nav>
      <span class="who">${me.data ? html`${me.data.username ?? me.data.sub} <span class="role" data-role=${role}>${role}</span>` : null}</span>
      ${session.mode === 'oidc' ? html`<button type="button" onClick=${() => signOut()}>Sign out</button>` : null}
    </header>
    <main id="main" tabindex="-1">
      <${ProblemAlert} error=${me.error} />
      <${ProblemAlert} error=${connectors.error} />
      ${body}
    </main>`;
}

function App({ config }) {
  const session = useSession();
  if (config.mode === 'off') {
    return html`<main class="sign-in" id="main"><h1>Modelbridge console</h1><${ProblemAlert} error=${{ title: 'The console cannot sign in', detail: config.reason }} /></main>`;
  }
  if (session.status !== 'signed-in') return html`<${SignIn} session=${session} config=${config} />`;
  return html`<${Console} session=${session} />`;
}

async function main() {
  let config;
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = await response.json();
  } catch (error) {
    config = { mode: 'off', reason: `the console's configuration cannot be loaded (${error.message})` };
  }
  await startSession(config);
  const root = document.getElementById('root');
  root.replaceChildren();
  render(html`<${App} config=${config} />`, root);
}

void main();
