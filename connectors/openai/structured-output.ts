/**
 * Structured output: the `response_format` sent with chat requests, and the check of the answer.
 *
 * The configured JSON Schema is converted once, at client creation, with zod 4's `z.fromJSONSchema`
 * (marked semi-experimental by zod; pinned by our tests). Supported: what that converter reads —
 * `type` object/array/string/number/integer/boolean/null, `properties`, `required`,
 * `additionalProperties`, `items`, `enum`, `const`, `anyOf`/`oneOf`/`allOf`, length, range and item-count
 * bounds, `pattern`, `format`, `$ref` into `$defs`. A schema it cannot read fails start-up (CONFIG_INVALID).
 *
 * An answer that is not JSON or breaks the schema is `INFERENCE_BAD_RESPONSE`, **retryable**: models
 * are stochastic and a second sample often succeeds (and a server without constrained decoding may
 * ignore the schema now and then); the worker's retry budget bounds the cost, after which the event is
 * dead-lettered with that code.
 */
import { z } from 'zod';
import { ModelbridgeError } from '../../schemas/errors.ts';

/** The configured format (`backend.responseFormat`). */
export interface ResponseFormatConfig {
  readonly name: string;
  readonly schema: Readonly<Record<string, unknown>>;
  readonly strict: boolean;
}

/** The request field and the validator of one configured format. */
export interface StructuredOutput {
  /** The chat request's `response_format`. */
  readonly responseFormat: {
    readonly type: 'json_schema';
    readonly json_schema: { readonly name: string; readonly schema: Readonly<Record<string, unknown>>; readonly strict: boolean };
  };
  /** Parses and validates an answer; throws a retryable `INFERENCE_BAD_RESPONSE`. */
  parse(label: string, content: string, finishReason: string | undefined): unknown;
}

const MAX_ISSUES = 3;

/** Throws `CONFIG_INVALID` when the schema is not one the converter reads. */
export function createStructuredOutput(format: ResponseFormatConfig): StructuredOutput {
  let schema: z.ZodType;
  try {
    schema = z.fromJSONSchema(format.schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelbridgeError('CONFIG_INVALID', `backend.responseFormat.schema: ${reason}`, { cause: error });
  }
  return {
    responseFormat: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: format.strict } },
    parse(label, content, finishReason) {
      // A cut answer is named as such: raising max_tokens is the fix, not the schema.
      const cut = finishReason === 'length' ? ' (finish_reason length: the answer was cut at max_tokens)' : '';
      let value: unknown;
      try {
        value = JSON.parse(content);
      } catch (error) {
        throw bad(`${label}: structured output is not JSON${cut}`, error);
      }
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      const issues = result.error.issues.slice(0, MAX_ISSUES).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw bad(`${label}: structured output does not match schema ${format.name}${cut}: ${issues.join('; ')}`, result.error);
    },
  };
}

function bad(message: string, cause: unknown): ModelbridgeError {
  return new ModelbridgeError('INFERENCE_BAD_RESPONSE', message, { retryable: true, cause, upstreamStatus: 200 });
}
