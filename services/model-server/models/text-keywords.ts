/**
 * Keyword matching for the schema filler: which words of a text speak for an enum option or a boolean
 * property. An option's own name parts are keywords too, so unlisted options still match literally.
 */
import { words } from './text-tokenizer.ts';

/** Extra keywords for common option and property names of business ticket schemas. */
const SYNONYMS: ReadonlyMap<string, readonly string[]> = new Map([
  ['billing', ['invoice', 'charge', 'charged', 'payment', 'paid', 'pay', 'bill', 'billed', 'price', 'overcharged', 'refund', 'credit']],
  ['delivery', ['deliver', 'shipping', 'ship', 'shipped', 'shipment', 'package', 'parcel', 'courier', 'arrive', 'arrived', 'tracking', 'late', 'delayed']],
  ['quality', ['broken', 'damaged', 'defective', 'faulty', 'scratched', 'cracked', 'poor', 'stopped']],
  ['account', ['login', 'password', 'username', 'sign', 'profile']],
  ['refund', ['refund', 'reimburse', 'money', 'back']],
  ['urgent', ['urgent', 'asap', 'immediately', 'emergency', 'critical', 'now']],
  ['high', ['urgent', 'asap', 'immediately', 'emergency', 'critical']],
  ['low', ['minor', 'whenever', 'eventually']],
  ['complaint', ['complaint', 'complain', 'unacceptable', 'disappointed', 'angry', 'unhappy', 'terrible']],
  ['escalate', ['escalate', 'manager', 'supervisor', 'lawyer', 'legal']],
  ['cancel', ['cancel', 'cancellation', 'terminate']],
]);

/** Name parts that carry no meaning of their own (`is_urgent`, `needsRefund`). */
const FILLERS: ReadonlySet<string> = new Set(['is', 'has', 'needs', 'need', 'requires', 'should', 'was', 'requested', 'request', 'flag', 'the', 'of']);

/** The lower-cased parts of an identifier: `refund_requested`, `isUrgent`, `on-time` → words. */
export function nameParts(name: string): string[] {
  return words(name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ')).filter((part) => !FILLERS.has(part));
}

/** The keywords of an option or property name: its parts and their synonyms. */
export function keywordsOf(name: string): string[] {
  const parts = nameParts(name);
  return parts.flatMap((part) => [part, ...(SYNONYMS.get(part) ?? [])]);
}

/**
 * How many words of the text match one of `keywords`: equal, or sharing a prefix of at least five
 * letters (`delivery` ~ `delivered`), a crude stemmer.
 */
export function overlap(textWords: readonly string[], keywords: readonly string[]): number {
  let score = 0;
  for (const word of textWords) {
    if (keywords.some((keyword) => word === keyword || sharesStem(word, keyword))) score++;
  }
  return score;
}

function sharesStem(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  if (n < 5) return false;
  const stem = Math.max(5, n - 2);
  return a.length >= stem && b.length >= stem && a.slice(0, stem) === b.slice(0, stem);
}
