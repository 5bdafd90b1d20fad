/**
 * `text-generator`: answers with an extractive summary of the user's text, and fills a requested JSON
 * Schema from it (see `text-schema-fill.ts`), so structured-output answers are valid and meaningful.
 */
import { scoreSentiment } from './sentiment.ts';
import { fillSchema } from './text-schema-fill.ts';
import type { Generation, TextFormat, TextGenerator } from './text-model.ts';
import { cutToTokens, summarize } from './text-summary.ts';
import { countTokens, words } from './text-tokenizer.ts';

/** Epoch seconds of this model's "release", constant so that answers are byte-for-byte reproducible. */
const CREATED = 1_767_225_600;

/** Creates the generator; stateless. */
export function createTextGenerator(name = 'text-generator'): TextGenerator {
  return {
    kind: 'generator',
    name,
    created: CREATED,
    chat(messages, format, maxTokens) {
      const promptTokens = messages.reduce((sum, m) => sum + countTokens(m.content), 0);
      // The user's words are the material; the system prompt only steers a real model.
      const text = messages
        .filter((m) => m.role === 'user')
        .map((m) => m.content)
        .join('\n');
      return answer(text, format, maxTokens, promptTokens);
    },
    complete(prompt, maxTokens) {
      return answer(prompt, { type: 'text' }, maxTokens, countTokens(prompt));
    },
  };
}

function answer(text: string, format: TextFormat, maxTokens: number | undefined, promptTokens: number): Generation {
  if (format.type === 'text') {
    const summary = summarize(text, maxTokens);
    return {
      content: summary.text,
      finishReason: summary.truncated ? 'length' : 'stop',
      promptTokens,
      completionTokens: countTokens(summary.text),
    };
  }
  const summary = summarize(text).text;
  const sentiment = scoreSentiment(text);
  const value =
    format.type === 'json_schema'
      ? fillSchema(format.schema, { words: words(text), summary, sentiment })
      : { summary, sentiment: sentiment.label, score: sentiment.score };
  const json = JSON.stringify(value);
  const tokens = countTokens(json);
  if (maxTokens === undefined || tokens <= maxTokens) {
    return { content: json, finishReason: 'stop', promptTokens, completionTokens: tokens };
  }
  // Like a real model hitting max_tokens mid-object: the JSON is cut, and invalid.
  return { content: cutToTokens(json, maxTokens), finishReason: 'length', promptTokens, completionTokens: maxTokens };
}
