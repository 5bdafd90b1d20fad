/**
 * The reference server's tokenizer: runs of letters/digits (with inner apostrophes and hyphens) and
 * single punctuation marks. Not a real BPE tokenizer; close enough to make usage counts meaningful.
 */

const TOKEN = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;
const WORD = /^[\p{L}\p{N}]/u;

/** Every token of `text`, in order. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** The tokens of `text` as regex matches, with their positions. */
export function tokenMatches(text: string): RegExpStringIterator<RegExpExecArray> {
  return text.matchAll(TOKEN);
}

/** Number of tokens of `text`, without building the array. */
export function countTokens(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(TOKEN)) count++;
  return count;
}

/** The lower-cased word tokens of `text` (punctuation dropped), for keyword matching and hashing. */
export function words(text: string): string[] {
  return tokenize(text.toLowerCase()).filter((token) => WORD.test(token));
}
