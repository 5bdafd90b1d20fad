/** The contract of the reference server's text models, served over the OpenAI-compatible subset. */

/** A chat message as the generator reads it: its text content only. */
export interface TextMessage {
  readonly role: string;
  readonly content: string;
}

/** What the answer must look like. `json_schema` answers are filled from the schema. */
export type TextFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly schema: Readonly<Record<string, unknown>> };

/** One generated answer with its token counts. */
export interface Generation {
  readonly content: string;
  /** `length` when cut by the token limit (structured output is then invalid JSON, as with a real model). */
  readonly finishReason: 'stop' | 'length';
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** A deterministic text generator: chat and completions. */
export interface TextGenerator {
  readonly kind: 'generator';
  readonly name: string;
  /** Epoch seconds, reported by `GET /v1/models`. */
  readonly created: number;
  chat(messages: readonly TextMessage[], format: TextFormat, maxTokens: number | undefined): Generation;
  complete(prompt: string, maxTokens: number | undefined): Generation;
}

/** A deterministic embedding model. */
export interface TextEmbedder {
  readonly kind: 'embedder';
  readonly name: string;
  readonly created: number;
  readonly dimensions: number;
  embed(text: string): number[];
  countTokens(text: string): number;
}

export type TextModel = TextGenerator | TextEmbedder;
