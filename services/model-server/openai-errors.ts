/**
 * Error answers of the OpenAI-compatible subset, in the nested envelope OpenAI and vLLM (≥ 0.10.1)
 * send: `{"error": {"message", "type", "param", "code"}}`, `code` being the HTTP status as vLLM does.
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from './http-error.ts';
import { sendErrorAs } from './http-io.ts';

/** An {@link HttpError} naming the request parameter at fault. */
export class OpenaiParamError extends HttpError {
  readonly param: string;

  constructor(status: number, message: string, param: string) {
    super(status, message);
    this.param = param;
  }
}

/** vLLM's error type names (the Python exception classes) by status. */
const TYPES: Readonly<Record<number, string>> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  413: 'BadRequestError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

/** Answers `error` (an {@link HttpError}, or anything else as 500) with the nested envelope. */
export function sendOpenaiError(res: ServerResponse, error: unknown): void {
  const param = error instanceof OpenaiParamError ? error.param : null;
  sendErrorAs(res, error, (status, message) => {
    const type = TYPES[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError');
    return { error: { message, type, param, code: status } };
  });
}
