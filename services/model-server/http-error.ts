/**
 * A failure the model server answers with an HTTP status and an Open Inference Protocol error body
 * `{"error": message}` (on gRPC: a status code and details). This is the server side of the wire; clients classify it into `ModelbridgeError`s.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** gRPC status code name to answer with on the gRPC endpoint; mapped from `status` when absent. */
  readonly grpcCode: string | undefined;

  constructor(status: number, message: string, headers?: Record<string, string>, grpcCode?: string) {
    super(message);
    this.status = status;
    this.headers = headers;
    this.grpcCode = grpcCode;
  }
}
