// Sign-in with OpenID Connect (authorization code + PKCE) through oidc-client-ts. Tokens live in
// memory only: a reload or a new tab signs in again (quietly, while the issuer's own session lasts).
// Only the PKCE verifier and the return address are kept in sessionStorage, for the length of the
// round trip to the issuer. Whatever a form holds lives in the page's address, which the round trip
// carries back, so an expired session costs a sign-in and nothing else.
import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';

let manager;
let user;
let mode = 'off';
/** signed-out | expired | signed-in | error */
let status = 'signed-out';
let failure;
const listeners = new Set();

const notify = () => listeners.forEach((listener) => listener());

/** The session as the views need it. */
export function sessionState() {
  return { mode, status, error: failure, username: user?.profile?.preferred_username ?? user?.profile?.sub };
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The bearer token for the API, if signed in. */
export function accessToken() {
  return user && !user.expired ? user.access_token : undefined;
}

/** The token is gone or refused: back to the sign-in screen, with the page's address kept. */
export function expireSession() {
  if (mode !== 'oidc' || status !== 'signed-in') return;
  user = undefined;
  status = 'expired';
  void manager.removeUser();
  notify();
}

/**
 * Sets the session up from `/console/config.json`; completes a sign-in when the page is the
 * issuer's redirect back (`/console/callback`).
 */
export async function startSession(config) {
  mode = config.mode;
  if (mode === 'none') status = 'signed-in';
  if (mode !== 'oidc') return;
  manager = new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    scope: config.scope,
    response_type: 'code',
    redirect_uri: new URL('callback', document.baseURI).href,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: 'modelbridge.oidc.' }),
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
  });
  manager.events.addAccessTokenExpiring(() => {
    // With a refresh token, renew before the access token runs out; without one, the session ends with it.
    if (user?.refresh_token) manager.signinSilent().catch(() => undefined);
  });
  manager.events.addUserLoaded((loaded) => {
    user = loaded;
    notify();
  });
  manager.events.addAccessTokenExpired(() => expireSession());
  if (!location.pathname.endsWith('/callback')) return;
  try {
    user = await manager.signinRedirectCallback();
    status = 'signed-in';
    const returnTo = typeof user.state?.returnTo === 'string' && user.state.returnTo.startsWith('#') ? user.state.returnTo : '';
    history.replaceState(null, '', new URL(`./${returnTo}`, location.href));
  } catch (error) {
    status = 'error';
    failure = { title: 'Sign-in failed', detail: error.error_description ?? error.message };
    history.replaceState(null, '', new URL('./', location.href));
  }
}

/** Off to the issuer; back at `/console/callback`, then at the address the page has now. */
export async function signIn() {
  try {
    await manager.signinRedirect({ state: { returnTo: location.hash } });
  } catch (error) {
    status = 'error';
    failure = { title: 'Sign-in failed', detail: `the identity provider cannot be reached (${error.message})` };
    notify();
  }
}

/** Forgets the tokens in this page. */
export async function signOut() {
  user = undefined;
  status = 'signed-out';
  await manager?.removeUser();
  notify();
}
