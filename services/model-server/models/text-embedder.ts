/** `text-embedder`: hashed bag-of-words embeddings (see `text-embedding.ts`). */
import { EMBEDDING_DIMENSIONS, embed } from './text-embedding.ts';
import type { TextEmbedder } from './text-model.ts';
import { countTokens } from './text-tokenizer.ts';

const CREATED = 1_767_225_600;

/** Creates the embedder; stateless. */
export function createTextEmbedder(name = 'text-embedder'): TextEmbedder {
  return { kind: 'embedder', name, created: CREATED, dimensions: EMBEDDING_DIMENSIONS, embed, countTokens };
}
