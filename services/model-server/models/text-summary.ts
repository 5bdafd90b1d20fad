/** Extractive summaries: the first sentence(s) of a text, bounded in tokens. */
import { tokenize, tokenMatches } from './text-tokenizer.ts';

/** A summary and whether it was cut short by the token limit. */
export interface Summary {
  readonly text: string;
  readonly truncated: boolean;
}

// A sentence ends at . ! or ? followed by whitespace (or the end); "e.g. " splits too, which is acceptable here.
const SENTENCE = /[^.!?]+(?:[.!?]+|$)/g;
/** Sentences are added until the summary holds at least this many tokens. */
const MIN_SUMMARY_TOKENS = 12;
/** At most this many sentences. */
const MAX_SENTENCES = 2;

/**
 * The first sentence of `text`, plus the second when the first is very short, whitespace-normalised;
 * cut to `maxTokens` tokens when given.
 */
export function summarize(text: string, maxTokens?: number): Summary {
  const sentences: string[] = [];
  let tokens = 0;
  for (const [match] of text.matchAll(SENTENCE)) {
    const sentence = match.replace(/\s+/g, ' ').trim();
    if (sentence === '') continue;
    sentences.push(sentence);
    tokens += tokenize(sentence).length;
    if (tokens >= MIN_SUMMARY_TOKENS || sentences.length >= MAX_SENTENCES) break;
  }
  const summary = sentences.join(' ');
  if (maxTokens === undefined || tokens <= maxTokens) return { text: summary, truncated: false };
  return { text: cutToTokens(summary, maxTokens), truncated: true };
}

/** The prefix of `text` holding its first `maxTokens` tokens. */
export function cutToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return '';
  let end = 0;
  let seen = 0;
  for (const match of tokenMatches(text)) {
    end = match.index + match[0].length;
    if (++seen >= maxTokens) break;
  }
  return text.slice(0, end);
}
