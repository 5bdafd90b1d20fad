/** A credential check in front of a raw test server, as an API gateway or an authenticating proxy does. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** The one `authorization` header value {@link authGate} lets through. */
export const GOOD_AUTHORIZATION = 'Bearer good-key';

/**
 * Answers 401 to a request without an `authorization` header, 403 to one with any other value than
 * {@link GOOD_AUTHORIZATION} (a valid but unprivileged key), and passes the rest to `next`.
 */
export function authGate(next: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const authorization = req.headers.authorization;
    if (authorization === GOOD_AUTHORIZATION) return next(req, res);
    req.resume();
    const status = authorization === undefined ? 401 : 403;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: status === 401 ? 'not authenticated' : 'forbidden' }));
  };
}
