/**
 * Request bodies and response parsing of the three OpenAI-compatible endpoints, by the input and output
 * names of `openaiBackendSchema`:
 * - chat: inputs `user` (required), `system` (else `config.system`); outputs `content`, `finish_reason`,
 *   and `json` (the validated structured output) when `responseFormat` is set.
 * - completions: input `prompt`; outputs `text`, `finish_reason`.
 * - embeddings: input `input`, a string (output `embedding`: number[]) or an array (output `embeddings`).
 * Text inputs may be strings, numbers or booleans; objects and arrays are sent as their JSON text.
 */
import type { OpenaiBackendConfig } from '../../schemas/backend-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import { badResponse } from '../http-client/errors.ts';
import type { InferenceRequest, InferenceResponse } from '../types.ts';
import type { StructuredOutput } from './structured-output.ts';

/** One call to make: where, what, and how many tokens to reserve for it. */
export interface OpenaiCall {
  readonly path: string;
  readonly body: string;
  /**
   * Token estimate before the call: prompt characters / 4 (the usual rule of thumb for English
   * BPE tokenizers) plus `maxTokens`, or {@link DEFAULT_COMPLETION_TOKENS} when unset.
   */
  readonly estimate: number;
  /** Embeddings of an array input: answered as output `embeddings`, not `embedding`. */
  readonly batch: boolean;
}

/** Completion tokens assumed for the budget when `maxTokens` is not configured; settled after the call. */
export const DEFAULT_COMPLETION_TOKENS = 256;

const CHARS_PER_TOKEN = 4;

/** Builds the call of `request` for the configured endpoint. Throws `MAPPING_FAILED` for unusable inputs. */
export function buildCall(config: OpenaiBackendConfig, structured: StructuredOutput | undefined, request: InferenceRequest): OpenaiCall {
  const completionTokens = config.maxTokens ?? DEFAULT_COMPLETION_TOKENS;
  if (config.endpoint === 'embeddings') {
    const input = request.inputs.input;
    const texts = Array.isArray(input) ? input.map((v, i) => textOf(v, `input[${i}]`)) : textOf(input, 'input');
    if (Array.isArray(texts) && texts.length === 0) throw new ModelbridgeError('MAPPING_FAILED', 'input "input" is an empty array');
    const chars = Array.isArray(texts) ? texts.reduce((n, t) => n + t.length, 0) : texts.length;
    const body = { model: config.model, input: texts, encoding_format: 'float' };
    return { path: '/embeddings', body: JSON.stringify(body), estimate: Math.ceil(chars / CHARS_PER_TOKEN), batch: Array.isArray(texts) };
  }
  const sampling = { max_tokens: config.maxTokens, temperature: config.temperature };
  if (config.endpoint === 'completions') {
    const prompt = textOf(request.inputs.prompt, 'prompt');
    const body = { model: config.model, prompt, ...sampling };
    return { path: '/completions', body: JSON.stringify(body), estimate: Math.ceil(prompt.length / CHARS_PER_TOKEN) + completionTokens, batch: false };
  }
  const user = textOf(request.inputs.user, 'user');
  const given = request.inputs.system;
  const system = given === undefined || given === null ? config.system : textOf(given, 'system');
  const messages = system === undefined ? [{ role: 'user', content: user }] : [{ role: 'system', content: system }, { role: 'user', content: user }];
  const body = { model: config.model, messages, ...sampling, response_format: structured?.responseFormat };
  const chars = user.length + (system?.length ?? 0);
  return { path: '/chat/completions', body: JSON.stringify(body), estimate: Math.ceil(chars / CHARS_PER_TOKEN) + completionTokens, batch: false };
}

/** Parses a 2xx answer of the configured endpoint. Throws `INFERENCE_BAD_RESPONSE` for a broken body. */
export function parseAnswer(
  config: OpenaiBackendConfig,
  structured: StructuredOutput | undefined,
  call: OpenaiCall,
  label: string,
  status: number,
  text: string,
): InferenceResponse {
  let answer: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed)) throw new TypeError('not a JSON object');
    answer = parsed;
  } catch (error) {
    throw badResponse(label, status, 'response body is not a JSON object', error);
  }
  const modelName = typeof answer.model === 'string' && answer.model !== '' ? answer.model : config.model;
  const usage = usageOf(answer.usage);
  const outputs = config.endpoint === 'embeddings' ? embeddingOutputs(answer, call.batch, label, status) : choiceOutputs(config, structured, answer, label, status);
  return { modelName, modelVersion: undefined, outputs, usage };
}

function choiceOutputs(
  config: OpenaiBackendConfig,
  structured: StructuredOutput | undefined,
  answer: Record<string, unknown>,
  label: string,
  status: number,
): Record<string, unknown> {
  const choice: unknown = Array.isArray(answer.choices) ? answer.choices[0] : undefined;
  if (!isObject(choice)) throw badResponse(label, status, 'response has no choices[0]');
  const finishReason = typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined;
  if (config.endpoint === 'completions') {
    if (typeof choice.text !== 'string') throw badResponse(label, status, 'choices[0].text is not a string');
    return { text: choice.text, finish_reason: finishReason };
  }
  const message = choice.message;
  if (!isObject(message)) throw badResponse(label, status, 'choices[0].message is missing');
  if (typeof message.refusal === 'string' && message.refusal !== '' && typeof message.content !== 'string') {
    // A refusal is the model's answer to this input: another attempt would refuse again.
    throw new ModelbridgeError('INFERENCE_REJECTED', `${label}: the model refused: ${message.refusal.slice(0, 200)}`, { upstreamStatus: status });
  }
  if (typeof message.content !== 'string') throw badResponse(label, status, 'choices[0].message.content is not a string');
  const content = message.content;
  if (!structured) return { content, finish_reason: finishReason };
  return { content, finish_reason: finishReason, json: structured.parse(label, content, finishReason) };
}

function embeddingOutputs(answer: Record<string, unknown>, batch: boolean, label: string, status: number): Record<string, unknown> {
  const data = answer.data;
  if (!Array.isArray(data) || data.length === 0) throw badResponse(label, status, 'response has no data');
  const vectors = new Array<number[]>(data.length);
  for (let i = 0; i < data.length; i++) {
    const item: unknown = data[i];
    if (!isObject(item) || !Array.isArray(item.embedding) || !item.embedding.every((v) => typeof v === 'number')) {
      throw badResponse(label, status, `data[${i}].embedding is not an array of numbers`);
    }
    // Servers answer in input order with an `index`; honour the index where it is valid.
    const index = typeof item.index === 'number' && Number.isInteger(item.index) && item.index >= 0 && item.index < data.length ? item.index : i;
    vectors[index] = item.embedding as number[];
  }
  // A duplicated index leaves a hole.
  for (let i = 0; i < vectors.length; i++) {
    if (vectors[i] === undefined) throw badResponse(label, status, 'data indexes are not 0..n-1');
  }
  if (batch) return { embeddings: vectors };
  if (vectors.length !== 1) throw badResponse(label, status, `${vectors.length} embeddings for one input`);
  return { embedding: vectors[0] };
}

function usageOf(usage: unknown): InferenceResponse['usage'] {
  if (!isObject(usage) || typeof usage.prompt_tokens !== 'number') return undefined;
  const completion = typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0;
  return { promptTokens: usage.prompt_tokens, completionTokens: completion };
}

function textOf(value: unknown, name: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined || value === null) throw new ModelbridgeError('MAPPING_FAILED', `input "${name}" has no value`);
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
