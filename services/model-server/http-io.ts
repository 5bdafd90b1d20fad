/** Small node:http helpers: bounded body reading, JSON and error answers, per-call stats. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.ts';
import type { ServerStats } from './stats.ts';

/** Reads the whole body; rejects with 413 past `limit` bytes (the connection is then closed). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

/** Parses a JSON body; 400 when it is not JSON. An empty body parses as `undefined`. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** Answers with a JSON body and an explicit length (keeps the connection reusable). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers an {@link HttpError} (or anything else, as 500) with an OIP error body `{"error": …}`. */
export function sendError(res: ServerResponse, error: unknown): void {
  sendErrorAs(res, error, (_status, message) => ({ error: message }));
}

/**
 * Answers an {@link HttpError} with its status and headers (anything else as 500) and the body `render`
 * makes of the status and message, in the protocol's error envelope. Once headers were sent, there is
 * no way to answer but to destroy the response.
 */
export function sendErrorAs(res: ServerResponse, error: unknown, render: (status: number, message: string) => unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  const headers: Record<string, string> = { ...(error instanceof HttpError ? error.headers : undefined) };
  // After a 413 the rest of the body may still be arriving; closing is the only safe way on.
  if (status === 413) headers.connection = 'close';
  sendJson(res, status, render(status, message), headers);
}

/**
 * Counts a request of `model` and, when `res` closes, its outcome (the status, or `aborted` when the
 * client left first). The returned signal aborts when `res` closes.
 */
export function trackResponse(stats: ServerStats, model: string, res: ServerResponse): AbortSignal {
  stats.recordRequest(model);
  const gone = new AbortController();
  res.once('close', () => {
    gone.abort();
    stats.recordOutcome(model, res.writableFinished ? res.statusCode : 'aborted');
  });
  return gone.signal;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body exceeds ${limit} bytes`);
}
