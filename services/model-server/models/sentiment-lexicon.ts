/**
 * A small English sentiment lexicon in the spirit of VADER (Hutto & Gilbert, 2014): word valences on
 * a -4..4 scale, negators that flip the valence of the next few words, and intensifiers.
 */

/** Word → valence (-4 very negative … 4 very positive). */
export const VALENCES: ReadonlyMap<string, number> = new Map([
  // positive
  ['good', 1.9], ['great', 3.1], ['excellent', 3.4], ['amazing', 2.8], ['awesome', 3.1], ['fantastic', 3.2],
  ['love', 3.2], ['loved', 2.9], ['like', 1.5], ['liked', 1.6], ['happy', 2.7], ['glad', 2.0], ['pleased', 1.9],
  ['satisfied', 1.8], ['thanks', 1.9], ['thank', 1.5], ['helpful', 1.8], ['quick', 1.0], ['fast', 1.0],
  ['fixed', 1.0], ['resolved', 1.5], ['works', 1.0], ['perfect', 2.7], ['nice', 1.8], ['recommend', 1.5],
  ['reliable', 1.6], ['smooth', 1.3], ['easy', 1.5], ['best', 3.2], ['wonderful', 2.7], ['friendly', 2.2],
  ['delighted', 2.9], ['impressed', 2.1], ['appreciate', 1.7], ['on-time', 1.2], ['ok', 0.9], ['fine', 0.8],
  // negative
  ['bad', -2.5], ['terrible', -2.9], ['awful', -3.1], ['horrible', -2.5], ['worst', -3.1], ['hate', -2.7],
  ['hated', -3.2], ['poor', -2.1], ['broken', -2.0], ['damaged', -2.2], ['defective', -2.2], ['late', -1.2],
  ['delayed', -1.4], ['delay', -1.2], ['slow', -1.2], ['wrong', -2.1], ['missing', -1.2], ['lost', -1.3],
  ['angry', -2.3], ['upset', -1.6], ['disappointed', -2.1], ['disappointing', -2.2], ['unhappy', -1.8],
  ['frustrated', -2.0], ['frustrating', -2.0], ['annoying', -1.7], ['useless', -1.8], ['fail', -2.2],
  ['failed', -2.3], ['failure', -2.3], ['error', -1.7], ['problem', -1.7], ['problems', -1.7], ['issue', -1.0],
  ['refund', -0.8], ['complaint', -1.5], ['cancel', -1.0], ['crash', -2.0], ['crashes', -2.0],
  ['unacceptable', -2.7], ['rude', -2.0], ['expensive', -0.9], ['overcharged', -2.0], ['scam', -2.9],
]);

/** Words that flip the valence of the following words, up to {@link NEGATION_WINDOW} words or punctuation. */
export const NEGATORS: ReadonlySet<string> = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'without', 'hardly', 'barely',
  "isn't", "wasn't", "aren't", "weren't", "don't", "doesn't", "didn't", "can't", "cannot", "couldn't",
  "won't", "wouldn't", "shouldn't", "haven't", "hasn't", "hadn't", 'isnt', 'wasnt', 'dont', 'doesnt', 'didnt',
  'cant', 'wont',
]);

/** Words that scale the valence of the next sentiment word. */
export const INTENSIFIERS: ReadonlyMap<string, number> = new Map([
  ['very', 1.3], ['really', 1.3], ['extremely', 1.5], ['so', 1.2], ['incredibly', 1.5], ['totally', 1.3],
  ['absolutely', 1.4], ['quite', 1.1], ['slightly', 0.6], ['somewhat', 0.7],
]);

/** How many words after a negator it applies to. */
export const NEGATION_WINDOW = 3;

/** Negation does not flip to the full opposite: "not bad" is mildly positive, not "good" (VADER uses -0.74). */
export const NEGATION_SCALAR = -0.74;
