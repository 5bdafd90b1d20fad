/**
 * FastAPI-style REST endpoints over every model, for the `rest` backend:
 *
 * - `POST /rest/{model}/predict` — the body's fields are the model's inputs by name:
 *   - all scalars (`{"TEXT": "great"}`): one instance → a flat object of outputs (`{"LABEL": …, "SCORE": …}`);
 *   - arrays of one length n (`{"TEXT": ["a", "b"]}`), columns of a batch → `{"predictions": [row, …]}`;
 *   - `{"instances": [{…}, …]}` (KServe v1 / TF Serving), rows of a batch → `{"predictions": [row, …]}`.
 *   Each field holds one scalar per instance (models whose inputs are `[n]` vectors, as all served ones).
 *   A batch in, `predictions` out; one instance in, one object out. Input that does not fit the model's
 *   declared inputs → 422 with FastAPI's `{"detail": [{"loc", "msg", "type", "input"}]}`; values the
 *   model itself refuses (ranges) → 400, and other errors, as `{"detail": "message"}`.
 * - `GET /rest/{model}/ready` — 200 `{"name", "ready": true}`, or 503 while the model is not ready.
 *
 * Unknown model → 404. Faults (not ready, hang, latency, injected errors, reject marker), the model's
 * scheduler (queue, dynamic batching) and stats apply through the same {@link serveInfer} as OIP calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.ts';
import { HttpError } from './http-error.ts';
import { readBody, sendErrorAs, sendJson, trackResponse } from './http-io.ts';
import { checkReady, serveInfer } from './infer-core.ts';
import type { Model, Tensor } from './models/model.ts';

/** One FastAPI / pydantic validation error. */
export interface ValidationDetail {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
  readonly input?: unknown;
}

/** A request turned into input tensors of shape `[n]`. */
interface RestBatch {
  /** One instance given as scalars: answer a flat object. */
  readonly single: boolean;
  readonly n: number;
  readonly inputs: ReadonlyMap<string, Tensor>;
}

type Loc = (string | number)[];

/** Handles `/rest…` paths given as segments after `rest`. Answers every error itself, FastAPI-style. */
export function handleRest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, segments: string[]): void {
  try {
    const [name, action, extra] = segments;
    if (name === undefined || action === undefined || extra !== undefined) throw new HttpError(404, 'Not Found');
    const model = ctx.models.get(name);
    if (!model) throw new HttpError(404, `Model ${name} not found`);
    if (action === 'ready') {
      if (req.method !== 'GET') throw new HttpError(405, 'Method Not Allowed', { allow: 'GET' });
      checkReady(ctx, model.name);
      return sendJson(res, 200, { name: model.name, ready: true });
    }
    if (action !== 'predict') throw new HttpError(404, 'Not Found');
    if (req.method !== 'POST') throw new HttpError(405, 'Method Not Allowed', { allow: 'POST' });
    void predict(ctx, model, req, res);
  } catch (error) {
    sendDetail(res, error);
  }
}

async function predict(ctx: ServerContext, model: Model, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const gone = trackResponse(ctx.stats, model.name, res);
  try {
    let batch: RestBatch | undefined;
    const { outputs } = await serveInfer(ctx, model, gone, {
      async read() {
        batch = toBatch(parseJson(await readBody(req, ctx.maxBodyBytes)), model);
        return { id: undefined, inputs: batch.inputs, outputs: undefined };
      },
      discard: () => req.resume(),
    });
    sendJson(res, 200, answer(batch!, outputs));
  } catch (error) {
    if (ctx.closing.aborted) res.destroy();
    else if (!res.destroyed) sendDetail(res, error);
  }
}

/** 422 with a FastAPI validation detail list. */
class ValidationFailed extends HttpError {
  readonly detail: readonly ValidationDetail[];
  constructor(detail: readonly ValidationDetail[]) {
    super(422, detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '));
    this.detail = detail;
  }
}

function invalid(loc: Loc, msg: string, type: string, input?: unknown): ValidationFailed {
  return new ValidationFailed([{ loc, msg, type, ...(input === undefined ? {} : { input }) }]);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid(['body'], 'JSON decode error', 'json_invalid');
  }
}

/** Rows (`instances`), columns (arrays) or one instance (scalars) → tensors of shape `[n]`. */
function toBatch(body: unknown, model: Model): RestBatch {
  if (!isObject(body)) throw invalid(['body'], 'Input should be a valid dictionary', 'dict_type', body);
  const byRows = Object.hasOwn(body, 'instances') && !model.inputs.some((i) => i.name === 'instances');
  return byRows ? fromRows(body.instances, model) : fromFields(body, model);
}

function fromRows(rows: unknown, model: Model): RestBatch {
  if (!Array.isArray(rows) || rows.length === 0) throw invalid(['body', 'instances'], 'Input should be a non-empty list', 'list_type', rows);
  const n = rows.length;
  const errors: ValidationDetail[] = [];
  const names = expectedNames(model, rows.find(isObject));
  const columns = new Map(names.map((name) => [name, new Array<unknown>(n)]));
  rows.forEach((row: unknown, i) => {
    if (!isObject(row)) return void errors.push({ loc: ['body', 'instances', i], msg: 'Input should be a valid dictionary', type: 'dict_type', input: row });
    checkFields(names, row, ['body', 'instances', i], errors);
    for (const name of names) columns.get(name)![i] = row[name];
  });
  return toTensors(model, columns, n, false, (name, i) => ['body', 'instances', i, name], errors);
}

function fromFields(body: Record<string, unknown>, model: Model): RestBatch {
  const errors: ValidationDetail[] = [];
  const names = expectedNames(model, body);
  if (names.length === 0) throw invalid(['body'], 'Input should have at least one field', 'missing', body);
  checkFields(names, body, ['body'], errors);
  const first = names.find((name) => Array.isArray(body[name]));
  const columns = new Map<string, unknown[]>();
  if (first === undefined) {
    for (const name of names) columns.set(name, [body[name]]);
    return toTensors(model, columns, 1, true, (name) => ['body', name], errors);
  }
  const n = (body[first] as unknown[]).length;
  for (const name of names) {
    const value = body[name];
    if (Array.isArray(value) && value.length === n && n > 0) columns.set(name, value);
    else if (value !== undefined) errors.push({ loc: ['body', name], msg: `Input should be a list of ${n || 'at least 1'} item(s), like ${first}`, type: 'list_type', input: value });
  }
  return toTensors(model, columns, n, false, (name, i) => ['body', name, i], errors);
}

/** Element type checks; every problem of the request is reported at once, as FastAPI does. */
function toTensors(model: Model, columns: ReadonlyMap<string, unknown[]>, n: number, single: boolean, at: (name: string, i: number) => Loc, errors: ValidationDetail[]): RestBatch {
  const inputs = new Map<string, Tensor>();
  for (const [name, data] of columns) {
    const datatype = model.anyInputs ? inferDatatype(data) : model.inputs.find((i) => i.name === name)!.datatype;
    for (let i = 0; i < n; i++) {
      // undefined: absent from its row, already reported as missing (JSON has no undefined values).
      const problem = data[i] === undefined ? undefined : elementProblem(datatype, data[i]);
      if (problem) errors.push({ loc: at(name, i), ...problem, input: data[i] });
    }
    inputs.set(name, { name, datatype, shape: [n], data });
  }
  if (errors.length > 0) throw new ValidationFailed(errors);
  return { single, n, inputs };
}

/** The model's input names; for a model taking any inputs (echo), the fields of the first instance. */
function expectedNames(model: Model, sample: Record<string, unknown> | undefined): string[] {
  if (model.anyInputs) return sample === undefined ? [] : Object.keys(sample);
  return model.inputs.map((i) => i.name);
}

/** Records missing and unexpected fields. */
function checkFields(names: readonly string[], fields: Record<string, unknown>, loc: Loc, errors: ValidationDetail[]): void {
  for (const name of names) {
    if (!Object.hasOwn(fields, name)) errors.push({ loc: [...loc, name], msg: 'Field required', type: 'missing' });
  }
  for (const name of Object.keys(fields)) {
    if (!names.includes(name)) errors.push({ loc: [...loc, name], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: fields[name] });
  }
}

/** What is wrong with one element for `datatype`, in pydantic's words; undefined when it fits. */
function elementProblem(datatype: string, v: unknown): { msg: string; type: string } | undefined {
  switch (datatype) {
    case 'BOOL':
      return typeof v === 'boolean' ? undefined : { msg: 'Input should be a valid boolean', type: 'bool_type' };
    case 'BYTES':
      return typeof v === 'string' ? undefined : { msg: 'Input should be a valid string', type: 'string_type' };
    case 'FP16': case 'FP32': case 'FP64': case 'BF16':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : { msg: 'Input should be a valid number', type: 'float_type' };
    default:
      if (!Number.isSafeInteger(v)) return { msg: 'Input should be a valid integer', type: 'int_type' };
      return datatype.startsWith('U') && (v as number) < 0 ? { msg: 'Input should be greater than or equal to 0', type: 'greater_than_equal' } : undefined;
  }
}

/** For models that take any input (echo): the datatype of a column, from its first element. */
function inferDatatype(data: readonly unknown[]): string {
  const first = data[0];
  if (typeof first === 'string') return 'BYTES';
  if (typeof first === 'boolean') return 'BOOL';
  return data.every((v) => Number.isSafeInteger(v)) ? 'INT64' : 'FP64';
}

/** Outputs of shape `[n, …]` → one object per row (an element, or a row slice for wider outputs). */
function answer(batch: RestBatch, outputs: readonly Tensor[]): unknown {
  const rows = Array.from({ length: batch.n }, (): Record<string, unknown> => ({}));
  for (const { name, data } of outputs) {
    const width = data.length / batch.n;
    for (let i = 0; i < batch.n; i++) rows[i]![name] = width === 1 ? data[i] : data.slice(i * width, (i + 1) * width);
  }
  return batch.single ? rows[0] : { predictions: rows };
}

/** FastAPI error body: `{"detail": [...]}` for validation, `{"detail": "message"}` otherwise. */
function sendDetail(res: ServerResponse, error: unknown): void {
  sendErrorAs(res, error, (status, message) => ({
    detail: error instanceof ValidationFailed ? error.detail : error instanceof HttpError ? message : 'Internal Server Error',
  }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
