/**
 * The OpenAI-compatible subset (as vLLM, TGI and Ollama serve it): `POST /v1/chat/completions`,
 * `/v1/completions`, `/v1/embeddings`, `GET /v1/models[/{id}]`, with usage counts and nested error
 * envelopes. The fault registry applies by the model named in the body. `/v1/models` lists only the
 * models that are ready, so a client's readiness check follows the `notReady` faults.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.ts';
import { notReadyForMs } from './faults.ts';
import { HttpError } from './http-error.ts';
import { readJson, sendJson, trackResponse } from './http-io.ts';
import { createTextEmbedder } from './models/text-embedder.ts';
import { embeddingToBase64 } from './models/text-embedding.ts';
import { createTextGenerator } from './models/text-generator.ts';
import type { Generation, TextEmbedder, TextGenerator, TextModel } from './models/text-model.ts';
import { afterParse, beforeCall } from './openai-faults.ts';
import { OpenaiParamError, sendOpenaiError } from './openai-errors.ts';
import { modelOf, parseChatRequest, parseCompletionRequest, parseEmbeddingRequest } from './openai-requests.ts';

/** The text models every server serves; stateless, so one set is shared. */
export const TEXT_MODELS: ReadonlyMap<string, TextModel> = new Map<string, TextModel>(
  [createTextGenerator(), createTextEmbedder()].map((m) => [m.name, m]),
);

type Endpoint = 'chat' | 'completions' | 'embeddings';

/** Handles `/v1…` paths given as segments after `v1`; every failure gets the OpenAI envelope. */
export function handleOpenai(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, segments: string[]): void {
  try {
    const path = segments.join('/');
    if (path === 'chat/completions') return post(ctx, req, res, 'chat');
    if (path === 'completions') return post(ctx, req, res, 'completions');
    if (path === 'embeddings') return post(ctx, req, res, 'embeddings');
    if (segments[0] === 'models' && segments.length <= 2) return models(ctx, req, res, segments[1]);
    throw new HttpError(404, 'not found');
  } catch (error) {
    sendOpenaiError(res, error);
  }
}

function models(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, id: string | undefined): void {
  if (req.method !== 'GET') throw new HttpError(405, 'use GET', { allow: 'GET' });
  const now = ctx.now();
  const ready = [...TEXT_MODELS.values()].filter((m) => notReadyForMs(ctx.faults.get(m.name), now) === 0);
  const card = (m: TextModel): unknown => ({ id: m.name, object: 'model', created: m.created, owned_by: 'modelbridge' });
  if (id === undefined) return sendJson(res, 200, { object: 'list', data: ready.map(card) });
  const model = ready.find((m) => m.name === id);
  if (!model) throw notFound(id);
  sendJson(res, 200, card(model));
}

function post(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): void {
  if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
  void serve(ctx, req, res, endpoint);
}

async function serve(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, endpoint: Endpoint): Promise<void> {
  try {
    const body = (await readJson(req, ctx.maxBodyBytes)) as Record<string, unknown>;
    const name = modelOf(body);
    const model = TEXT_MODELS.get(name);
    if (!model) throw notFound(name);
    if ((endpoint === 'embeddings') !== (model.kind === 'embedder')) {
      throw new OpenaiParamError(400, `model ${name} does not support the ${endpoint} endpoint`, 'model');
    }
    const gone = trackResponse(ctx.stats, name, res);
    // A hanging call is never answered: the client aborts, or close() destroys the connection.
    if (!(await beforeCall(ctx, name, gone))) return;
    const created = Math.floor(ctx.now() / 1000);
    if (model.kind === 'embedder') sendJson(res, 200, embeddings(ctx, model, body, created));
    else if (endpoint === 'chat') sendJson(res, 200, chat(ctx, model, body, created));
    else sendJson(res, 200, completions(ctx, model, body, created));
  } catch (error) {
    if (ctx.closing.aborted) res.destroy();
    else if (!res.destroyed) sendOpenaiError(res, error);
  }
}

function chat(ctx: ServerContext, model: TextGenerator, body: Record<string, unknown>, created: number): unknown {
  const request = parseChatRequest(body);
  afterParse(ctx, model.name, request.messages.map((m) => m.content));
  const generation = model.chat(request.messages, request.format, request.maxTokens);
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created,
    model: model.name,
    choices: [{ index: 0, message: { role: 'assistant', content: generation.content, refusal: null }, logprobs: null, finish_reason: generation.finishReason }],
    usage: usage([generation]),
  };
}

function completions(ctx: ServerContext, model: TextGenerator, body: Record<string, unknown>, created: number): unknown {
  const request = parseCompletionRequest(body);
  afterParse(ctx, model.name, request.prompts);
  const generations = request.prompts.map((prompt) => model.complete(prompt, request.maxTokens));
  return {
    id: `cmpl-${randomUUID()}`,
    object: 'text_completion',
    created,
    model: model.name,
    choices: generations.map((g, index) => ({ index, text: g.content, logprobs: null, finish_reason: g.finishReason })),
    usage: usage(generations),
  };
}

function embeddings(ctx: ServerContext, model: TextEmbedder, body: Record<string, unknown>, created: number): unknown {
  const request = parseEmbeddingRequest(body, model.dimensions);
  afterParse(ctx, model.name, request.inputs);
  let promptTokens = 0;
  const data = request.inputs.map((input, index) => {
    promptTokens += model.countTokens(input);
    const vector = model.embed(input);
    return { index, object: 'embedding', embedding: request.encoding === 'base64' ? embeddingToBase64(vector) : vector };
  });
  return { id: `embd-${randomUUID()}`, object: 'list', created, model: model.name, data, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}

function usage(generations: readonly Generation[]): unknown {
  let prompt = 0;
  let completion = 0;
  for (const g of generations) {
    prompt += g.promptTokens;
    completion += g.completionTokens;
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function notFound(model: string): OpenaiParamError {
  return new OpenaiParamError(404, `The model \`${model}\` does not exist.`, 'model');
}
