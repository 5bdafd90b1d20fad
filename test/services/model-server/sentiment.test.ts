import { describe, expect, it } from 'vitest';
import { createSentimentModel, scoreSentiment } from '../../../services/model-server/models/sentiment.ts';

describe('scoreSentiment', () => {
  it.each([
    ['I love this product, great quality', 'positive'],
    ['The delivery was late and the box was damaged', 'negative'],
    ['The order number is 4711', 'neutral'],
    ['This is not good', 'negative'],
    ["It wasn't bad at all", 'positive'],
    ['not good. great service though!', 'positive'],
    ['', 'neutral'],
  ] as const)('%j is %s', (text, label) => {
    expect(scoreSentiment(text).label).toBe(label);
  });

  it('keeps scores in [-1, 1] however many sentiment words there are', () => {
    const positive = scoreSentiment('great '.repeat(500)).score;
    const negative = scoreSentiment('awful '.repeat(500)).score;
    expect(positive).toBeGreaterThan(0.99);
    expect(positive).toBeLessThanOrEqual(1);
    expect(negative).toBeLessThan(-0.99);
    expect(negative).toBeGreaterThanOrEqual(-1);
  });

  it('makes intensified words stronger and negated words weaker than their opposite', () => {
    expect(scoreSentiment('very good').score).toBeGreaterThan(scoreSentiment('good').score);
    expect(scoreSentiment('not good').score).toBeLessThan(0);
    expect(Math.abs(scoreSentiment('not good').score)).toBeLessThan(scoreSentiment('good').score);
  });

  it('ends negation after its window and at punctuation', () => {
    expect(scoreSentiment('not that it matters at all, good').label).toBe('positive');
    expect(scoreSentiment('no, good').label).toBe('positive');
  });
});

describe('sentiment model', () => {
  it('labels and scores every batch element', () => {
    const model = createSentimentModel();
    const data = ['great', 'terrible', 'a box'];
    const [labels, scores] = model.infer(new Map([['TEXT', { name: 'TEXT', datatype: 'BYTES', shape: [3], data }]]));
    expect(labels).toEqual({ name: 'LABEL', datatype: 'BYTES', shape: [3], data: ['positive', 'negative', 'neutral'] });
    expect(scores?.datatype).toBe('FP32');
    expect(scores?.data).toHaveLength(3);
  });
});
