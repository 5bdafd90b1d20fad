import { HttpError } from '../http-error.ts';
import type { Model, Tensor } from './model.ts';
import { INTENSIFIERS, NEGATION_SCALAR, NEGATION_WINDOW, NEGATORS, VALENCES } from './sentiment-lexicon.ts';

/** Result of scoring one text. */
export interface Sentiment {
  readonly label: 'positive' | 'negative' | 'neutral';
  /** In [-1, 1]. */
  readonly score: number;
}

// VADER's normalisation constant: score = sum / sqrt(sum² + α) maps any sum into (-1, 1).
const ALPHA = 15;
const NEUTRAL_BAND = 0.05;
const TOKEN = /[a-z]+(?:['-][a-z]+)*|[.!?;,]/g;

/** Scores one text with the lexicon, handling negation ("not good") and intensifiers ("very good"). */
export function scoreSentiment(text: string): Sentiment {
  let sum = 0;
  let negatedFor = 0;
  let boost = 1;
  for (const [token] of text.toLowerCase().matchAll(TOKEN)) {
    if (token === '.' || token === '!' || token === '?' || token === ';' || token === ',') {
      negatedFor = 0;
      boost = 1;
      continue;
    }
    if (NEGATORS.has(token)) {
      negatedFor = NEGATION_WINDOW;
      continue;
    }
    const intensity = INTENSIFIERS.get(token);
    if (intensity !== undefined) {
      boost *= intensity;
      continue;
    }
    const valence = VALENCES.get(token);
    if (valence !== undefined) {
      sum += valence * boost * (negatedFor > 0 ? NEGATION_SCALAR : 1);
      boost = 1;
    }
    if (negatedFor > 0) negatedFor--;
  }
  const score = sum === 0 ? 0 : sum / Math.sqrt(sum * sum + ALPHA);
  const label = score >= NEUTRAL_BAND ? 'positive' : score <= -NEUTRAL_BAND ? 'negative' : 'neutral';
  return { label, score };
}

/**
 * Lexicon-based sentiment classifier. Input `TEXT` (BYTES, shape `[n]`, n ≥ 1); outputs `LABEL`
 * (BYTES: positive | negative | neutral) and `SCORE` (FP32 in [-1, 1]), one per batch element.
 */
export function createSentimentModel(): Model {
  return {
    name: 'sentiment',
    version: '1',
    platform: 'modelbridge_lexicon',
    inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'LABEL', datatype: 'BYTES', shape: [-1] },
      { name: 'SCORE', datatype: 'FP32', shape: [-1] },
    ],
    infer(inputs: ReadonlyMap<string, Tensor>): Tensor[] {
      const text = inputs.get('TEXT')!;
      const n = text.data.length;
      if (n < 1) throw new HttpError(400, 'input TEXT must hold at least one element');
      const labels = new Array<string>(n);
      const scores = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const { label, score } = scoreSentiment(text.data[i] as string);
        labels[i] = label;
        scores[i] = Math.fround(score);
      }
      return [
        { name: 'LABEL', datatype: 'BYTES', shape: [n], data: labels },
        { name: 'SCORE', datatype: 'FP32', shape: [n], data: scores },
      ];
    },
  };
}
