import { HttpError } from '../http-error.ts';
import type { Model, Tensor } from './model.ts';

export const ITEM_CATEGORIES = ['electronics', 'office-supplies', 'raw-material', 'service', 'other'] as const;
export type ItemCategory = (typeof ITEM_CATEGORIES)[number];

/** The category of one line-item text and how sure the classifier is, in (0, 1). */
export interface ItemClassification {
  readonly label: ItemCategory;
  readonly confidence: number;
}

type Scored = Exclude<ItemCategory, 'other'>;

// Weighted keywords per category, matched against lower-cased word tokens after a crude singular
// (`cables` → `cable`). Strong, unambiguous words weigh 2; words that also occur elsewhere weigh less
// ("sheet" is paper or steel, "cartridge" is toner or filter), so a text's other words decide.
const LEXICON: Readonly<Record<Scored, Readonly<Record<string, number>>>> = {
  electronics: {
    laptop: 2, notebook: 0.5, computer: 2, pc: 1.5, desktop: 1, monitor: 2, display: 1.5, screen: 1, keyboard: 2, mouse: 1.5,
    printer: 2, scanner: 2, router: 2, ethernet: 2, usb: 2, hdmi: 2, ssd: 2, hdd: 2, ram: 1.5, cpu: 2, processor: 2, server: 1.5,
    smartphone: 2, phone: 1.5, tablet: 1.5, battery: 1.5, charger: 2, adapter: 1, sensor: 1.5, led: 1, pcb: 2, chip: 1.5,
    semiconductor: 2, resistor: 2, capacitor: 2, transistor: 2, microcontroller: 2, camera: 1.5, headset: 2, dock: 1.5,
    docking: 1.5, cable: 1, wifi: 2, electronic: 2, latitude: 1, thinkpad: 2, macbook: 2, inch: 0.5, gb: 1, tb: 1, ghz: 2,
  },
  'office-supplies': {
    paper: 2, a4: 2, copy: 1, ream: 2, pen: 2, ballpoint: 2, pencil: 2, marker: 2, highlighter: 2, stapler: 2, staple: 2,
    toner: 2, ink: 2, cartridge: 1, envelope: 2, folder: 2, binder: 2, notepad: 2, notebook: 1, sticky: 1.5, note: 0.5,
    clip: 1.5, paperclip: 2, tape: 1, scissors: 2, calendar: 1.5, label: 1, stationery: 2, eraser: 2, whiteboard: 2,
    correction: 1, punch: 1, ruler: 1.5, office: 1.5, sheet: 0.5,
  },
  'raw-material': {
    steel: 2, stainless: 2, aluminium: 2, aluminum: 2, copper: 2, brass: 2, iron: 2, zinc: 2, nickel: 2, titanium: 2, alloy: 2,
    ingot: 2, billet: 2, coil: 1.5, rod: 1, bar: 0.5, sheet: 0.5, plate: 0.5, wire: 1, timber: 2, lumber: 2, wood: 2, oak: 2,
    maple: 2, pine: 2, bamboo: 2, plywood: 2, strand: 1, resin: 2, polymer: 2, polyethylene: 2, polypropylene: 2, pvc: 1.5,
    granulate: 2, pellet: 1.5, cement: 2, concrete: 2, sand: 2, gravel: 2, chemical: 1.5, solvent: 2, acid: 2, ore: 2,
    cotton: 2, yarn: 2, fabric: 1.5, pulp: 2, raw: 1.5, bulk: 1, ton: 1, tonne: 1, kg: 0.5,
  },
  service: {
    service: 2, installation: 2, install: 2, maintenance: 2, repair: 2, support: 1.5, consulting: 2, consultancy: 2,
    training: 2, labour: 2, labor: 2, hour: 1.5, hr: 1.5, day: 0.5, onsite: 2, site: 0.5, setup: 1.5, commissioning: 2,
    calibration: 2, inspection: 2, subscription: 2, licence: 1.5, license: 1.5, warranty: 1.5, freight: 1.5, shipping: 1,
    handling: 1, fee: 1.5, implementation: 2, audit: 1.5, cleaning: 1.5,
  },
};

const SCORED = Object.keys(LEXICON) as Scored[];
// Additive smoothing: a text with no evidence is `other` at 1/5; a few strong words push well above 0.5.
const SMOOTHING = 0.25;
const TOKEN = /[a-z0-9]+/g;

function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/**
 * Classifies a product line-item text (an IDoc `KTEXT`, a PO line description). Each word found in
 * a category's lexicon adds its weight to that category; the highest total wins (ties go to the
 * category listed first). A text with no known word is `other`. The confidence is the winner's
 * smoothed share of all evidence, `(s + a) / (Σs + a·k)`, so it is low when categories compete.
 */
export function classifyItem(text: string): ItemClassification {
  const lower = text.toLowerCase().replace(/on-site/g, 'onsite');
  const scores = new Map<Scored, number>(SCORED.map((c) => [c, 0]));
  for (const [raw] of lower.matchAll(TOKEN)) {
    const word = singular(raw);
    for (const category of SCORED) {
      const weight = LEXICON[category][word] ?? LEXICON[category][raw];
      if (weight !== undefined) scores.set(category, scores.get(category)! + weight);
    }
  }
  let label: ItemCategory = 'other';
  let best = 0;
  let total = 0;
  for (const [category, score] of scores) {
    total += score;
    if (score > best) {
      best = score;
      label = category;
    }
  }
  const confidence = (best + SMOOTHING) / (total + SMOOTHING * ITEM_CATEGORIES.length);
  return { label, confidence };
}

/**
 * Line-item classifier. Input `TEXT` (BYTES, shape `[n]`, n ≥ 1: one item text per batch element, so
 * all items of one order go in one request); outputs `LABEL` (BYTES: electronics | office-supplies |
 * raw-material | service | other) and `CONFIDENCE` (FP32 in (0, 1)), in the order of the inputs.
 */
export function createItemCategoryModel(): Model {
  return {
    name: 'item-category',
    version: '1',
    platform: 'modelbridge_lexicon',
    inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'LABEL', datatype: 'BYTES', shape: [-1] },
      { name: 'CONFIDENCE', datatype: 'FP32', shape: [-1] },
    ],
    infer(inputs: ReadonlyMap<string, Tensor>): Tensor[] {
      const text = inputs.get('TEXT')!;
      const n = text.data.length;
      if (n < 1) throw new HttpError(400, 'input TEXT must hold at least one item text');
      const labels = new Array<string>(n);
      const confidences = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const { label, confidence } = classifyItem(text.data[i] as string);
        labels[i] = label;
        confidences[i] = Math.fround(confidence);
      }
      return [
        { name: 'LABEL', datatype: 'BYTES', shape: [n], data: labels },
        { name: 'CONFIDENCE', datatype: 'FP32', shape: [n], data: confidences },
      ];
    },
  };
}
