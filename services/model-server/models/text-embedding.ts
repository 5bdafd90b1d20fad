/**
 * Hashed bag-of-words embeddings (the "hashing trick", Weinberger et al. 2009): each lower-cased word
 * adds ±1 to one of {@link EMBEDDING_DIMENSIONS} buckets chosen by its FNV-1a hash, and the vector is
 * L2-normalised. Deterministic, so texts sharing words have a positive cosine similarity.
 */
import { words } from './text-tokenizer.ts';

/** Length of every embedding vector. */
export const EMBEDDING_DIMENSIONS = 64;

/** The embedding of `text`; all zeros when it has no words (nothing to normalise). */
export function embed(text: string): number[] {
  const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
  for (const word of words(text)) {
    const hash = fnv1a(word);
    // The sign bit comes from high bits the bucket index does not use, so collisions tend to cancel.
    vector[hash % EMBEDDING_DIMENSIONS]! += hash & 0x8000_0000 ? -1 : 1;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  norm = Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return vector;
}

/** An embedding as OpenAI's `encoding_format: "base64"`: little-endian float32 bytes, base64. */
export function embeddingToBase64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}

/** 32-bit FNV-1a over UTF-16 code units; unsigned. */
function fnv1a(text: string): number {
  let hash = 0x811c_9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x0100_0193);
  }
  return hash >>> 0;
}
