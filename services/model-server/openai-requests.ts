/** Parsing of the OpenAI-compatible request bodies the reference server serves; 400s name the parameter. */
import { OpenaiParamError } from './openai-errors.ts';
import type { TextFormat, TextMessage } from './models/text-model.ts';

/** A checked `POST /v1/chat/completions` body. */
export interface ChatRequest {
  readonly messages: readonly TextMessage[];
  readonly format: TextFormat;
  readonly maxTokens: number | undefined;
}

/** A checked `POST /v1/completions` body: one choice per prompt. */
export interface CompletionRequest {
  readonly prompts: readonly string[];
  readonly maxTokens: number | undefined;
}

/** A checked `POST /v1/embeddings` body. */
export interface EmbeddingRequest {
  readonly inputs: readonly string[];
  readonly encoding: 'float' | 'base64';
}

type Body = Record<string, unknown>;

/** The requested model name; the body must be an object. */
export function modelOf(body: unknown): string {
  if (!isObject(body)) throw new OpenaiParamError(400, 'request body must be a JSON object', 'body');
  if (typeof body.model !== 'string' || body.model === '') throw new OpenaiParamError(400, '"model" must be a non-empty string', 'model');
  return body.model;
}

export function parseChatRequest(body: Body): ChatRequest {
  if (body.stream === true) throw new OpenaiParamError(400, 'streaming is not supported by the reference server', 'stream');
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0) throw new OpenaiParamError(400, '"messages" must be a non-empty array', 'messages');
  return {
    messages: messages.map((message: unknown, i) => parseMessage(message, `messages[${i}]`)),
    format: parseFormat(body.response_format),
    maxTokens: parseMaxTokens(body.max_completion_tokens ?? body.max_tokens),
  };
}

export function parseCompletionRequest(body: Body): CompletionRequest {
  if (body.stream === true) throw new OpenaiParamError(400, 'streaming is not supported by the reference server', 'stream');
  const { prompt } = body;
  const prompts = typeof prompt === 'string' ? [prompt] : prompt;
  if (!Array.isArray(prompts) || prompts.length === 0 || !prompts.every((p) => typeof p === 'string')) {
    throw new OpenaiParamError(400, '"prompt" must be a string or a non-empty array of strings', 'prompt');
  }
  return { prompts, maxTokens: parseMaxTokens(body.max_tokens) };
}

export function parseEmbeddingRequest(body: Body, dimensions: number): EmbeddingRequest {
  const { input, encoding_format: encoding = 'float', dimensions: wanted } = body;
  const inputs = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === 'string')) {
    throw new OpenaiParamError(400, '"input" must be a string or a non-empty array of strings (token arrays are not supported)', 'input');
  }
  if (encoding !== 'float' && encoding !== 'base64') throw new OpenaiParamError(400, '"encoding_format" must be float or base64', 'encoding_format');
  if (wanted !== undefined && wanted !== dimensions) throw new OpenaiParamError(400, `this model only has ${dimensions} dimensions`, 'dimensions');
  return { inputs, encoding };
}

function parseMessage(message: unknown, path: string): TextMessage {
  if (!isObject(message) || typeof message.role !== 'string') throw new OpenaiParamError(400, `${path} needs a "role"`, path);
  const { content } = message;
  if (typeof content === 'string') return { role: message.role, content };
  if (content === null || content === undefined) return { role: message.role, content: '' };
  if (Array.isArray(content)) {
    const texts = content.map((part: unknown) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      throw new OpenaiParamError(400, `${path}.content: only text parts are supported`, `${path}.content`);
    });
    return { role: message.role, content: texts.join('\n') };
  }
  throw new OpenaiParamError(400, `${path}.content must be a string or an array of text parts`, `${path}.content`);
}

function parseFormat(format: unknown): TextFormat {
  if (format === undefined || format === null) return { type: 'text' };
  if (!isObject(format)) throw new OpenaiParamError(400, '"response_format" must be an object', 'response_format');
  if (format.type === 'text' || format.type === 'json_object') return { type: format.type };
  if (format.type !== 'json_schema') throw new OpenaiParamError(400, `response_format type ${String(format.type)} is not supported`, 'response_format.type');
  const spec = format.json_schema;
  if (!isObject(spec) || typeof spec.name !== 'string') throw new OpenaiParamError(400, 'response_format.json_schema needs a "name"', 'response_format.json_schema');
  // OpenAI allows an absent schema (any JSON); an empty schema is filled as null.
  const schema = spec.schema === undefined ? {} : spec.schema;
  if (!isObject(schema)) throw new OpenaiParamError(400, 'response_format.json_schema.schema must be an object', 'response_format.json_schema.schema');
  return { type: 'json_schema', schema };
}

function parseMaxTokens(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new OpenaiParamError(400, '"max_tokens" must be a positive integer', 'max_tokens');
  return value;
}

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
