// The control API from the browser: bearer token from the session, JSON in and out, and every
// refusal as the API's problem details (RFC 9457), so views can show its title and detail.
import { accessToken, expireSession } from './session.js';

/** `/v1/` of the server that served the page (relative, so a path prefix of a proxy is kept). */
const BASE = new URL('../v1/', document.baseURI);

/** An API error: `title`, `detail`, `status` and `errors` of the problem the API answered. */
export class ApiProblem extends Error {
  constructor(problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.title = problem.title;
    this.detail = problem.detail;
    this.status = problem.status;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/** Calls `method path` (relative to `/v1/`); resolves with the JSON body, rejects with an {@link ApiProblem}. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json, application/problem+json' };
  const token = accessToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(new URL(path, BASE), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (error) {
    throw new ApiProblem({ title: 'Network error', status: 0, detail: `the control API cannot be reached (${error.message})` });
  }
  const text = await response.text();
  let data;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const problem = data && typeof data.title === 'string' ? data : { title: `HTTP ${response.status}`, status: response.status, detail: text.slice(0, 300) || undefined };
    // The token was refused: the session is over (expired, or revoked at the issuer).
    if (response.status === 401) expireSession();
    throw new ApiProblem(problem);
  }
  return data;
}

/** `a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  return search.toString();
}
