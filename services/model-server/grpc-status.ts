/** gRPC status codes of the reference server's gRPC endpoint, and how its HTTP statuses map onto them. */
import { status as Status } from '@grpc/grpc-js';

/** Every gRPC status code name except OK. */
export const GRPC_CODE_NAMES = [
  'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
] as const;
export type GrpcCodeName = (typeof GRPC_CODE_NAMES)[number];

/** By meaning, not the gRPC proxy table (which maps 400 to INTERNAL and 404 to UNIMPLEMENTED). */
const BY_HTTP_STATUS: Readonly<Record<number, GrpcCodeName>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  413: 'RESOURCE_EXHAUSTED',
  422: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The gRPC code name for an HTTP status: the table above, else 4xx FAILED_PRECONDITION and 5xx INTERNAL. */
export function grpcCodeForHttp(status: number): GrpcCodeName {
  return BY_HTTP_STATUS[status] ?? (status < 500 ? 'FAILED_PRECONDITION' : 'INTERNAL');
}

/** The numeric code of a code name. */
export function grpcCodeNumber(name: string): number {
  return (Status as unknown as Record<string, number>)[name] ?? Status.UNKNOWN;
}
