/**
 * RFC 9457 problem details: every error of the control API is `application/problem+json` with a
 * stable `type`, the status's title and a `detail` written for the caller. Details never carry stack
 * traces, token contents or why exactly a token was refused.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types, relative URIs resolved against the API base (RFC 9457 §3.1.1). */
export type ProblemType =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'invalid-request'
  | 'conflict'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'method-not-allowed'
  | 'not-allowed-target'
  | 'audit-unavailable'
  | 'broker-unavailable'
  | 'internal';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string | undefined;
  readonly instance?: string | undefined;
  /** Validation problems: `path: message` per issue. */
  readonly errors?: readonly { readonly path: string; readonly message: string }[] | undefined;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Thrown by handlers and hooks; the error handler renders it. */
export class ProblemError extends Error {
  override readonly name: string = 'ProblemError';
  readonly status: number;
  readonly type: ProblemType;
  readonly errors: Problem['errors'];
  /** Extra response headers, e.g. `www-authenticate` on 401. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, type: ProblemType, detail: string, options: { errors?: Problem['errors']; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.status = status;
    this.type = type;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

export function problem(status: number, type: ProblemType, detail: string | undefined, instance?: string, errors?: Problem['errors']): Problem {
  return { type: `/problems/${type}`, title: titleOf(status), status, detail, instance, errors };
}

/** The problem type of a status for errors that come from fastify itself (body limit, media type). */
export function typeOfStatus(status: number): ProblemType {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'method-not-allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload-too-large';
    case 415:
      return 'unsupported-media-type';
    default:
      return status >= 500 ? 'internal' : 'invalid-request';
  }
}
