import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKserveHttpClient } from '../../../../connectors/kserve/client-http.ts';
import { kserveHttpBackendSchema } from '../../../../schemas/connector-config.ts';
import { HttpError } from '../../../../services/model-server/http-error.ts';
import { classifyItem, createItemCategoryModel, ITEM_CATEGORIES } from '../../../../services/model-server/models/item-category.ts';
import { createModelServer } from '../../../../services/model-server/server.ts';
import type { ModelServer } from '../../../../services/model-server/server.ts';

describe('classifyItem', () => {
  it.each([
    ['Dell Latitude 5440 laptop 14in, 16GB RAM', 'electronics'],
    ['USB-C docking station with HDMI', 'electronics'],
    ['A4 copy paper 80g, 500 sheets', 'office-supplies'],
    ['Ballpoint pens blue, box of 50', 'office-supplies'],
    ['HP 305 ink cartridge for printer', 'office-supplies'],
    ['Stainless steel sheet 2mm 1000x2000', 'raw-material'],
    ['SCH ENG Bamboo QC 9/16x5" Strand Nat', 'raw-material'],
    ['Oak & Maple Mix', 'raw-material'],
    ['Polypropylene granulate, 25 kg bags', 'raw-material'],
    ['On-site installation service, 4 hours', 'service'],
    ['Annual maintenance and calibration', 'service'],
    ['Misc. item 4711-B', 'other'],
    ['', 'other'],
  ])('%j → %s', (text, label) => {
    expect(classifyItem(text).label).toBe(label);
  });

  it('is unsure without evidence and sure with much of it', () => {
    const none = classifyItem('Item 0000100131');
    expect(none).toEqual({ label: 'other', confidence: 0.2 });
    const strong = classifyItem('Laptop, monitor, keyboard and mouse bundle');
    expect(strong.confidence).toBeGreaterThan(0.8);
    expect(classifyItem('laptop').confidence).toBeGreaterThan(none.confidence);
  });

  it('lowers the confidence when categories compete', () => {
    const clean = classifyItem('stainless steel coil');
    const mixed = classifyItem('stainless steel coil, installation included');
    expect(mixed.label).toBe('raw-material');
    expect(mixed.confidence).toBeLessThan(clean.confidence);
  });

  it('keeps the confidence in (0, 1) and the label in the category list', () => {
    for (const text of ['x', 'paper paper paper paper', 'steel service laptop paper', 'on-site']) {
      const { label, confidence } = classifyItem(text);
      expect(ITEM_CATEGORIES).toContain(label);
      expect(confidence).toBeGreaterThan(0);
      expect(confidence).toBeLessThan(1);
    }
  });
});

describe('item-category model', () => {
  it('classifies a batch, one row per item, in input order', () => {
    const texts = ['copper wire 2.5mm', 'toner black', 'repair labour'];
    const [labels, confidences] = createItemCategoryModel().infer(new Map([['TEXT', { name: 'TEXT', datatype: 'BYTES', shape: [3], data: texts }]]));
    expect(labels).toEqual({ name: 'LABEL', datatype: 'BYTES', shape: [3], data: ['raw-material', 'office-supplies', 'service'] });
    expect(confidences!.shape).toEqual([3]);
    expect(confidences!.data).toEqual(texts.map((t) => Math.fround(classifyItem(t).confidence)));
  });

  it('refuses an empty batch with 400', () => {
    expect(() => createItemCategoryModel().infer(new Map([['TEXT', { name: 'TEXT', datatype: 'BYTES', shape: [0], data: [] }]]))).toThrow(HttpError);
  });

  describe('served by default', () => {
    let server: ModelServer;
    beforeAll(async () => {
      server = createModelServer({ grpcPort: false });
      await server.start();
    });
    afterAll(() => server.close());

    it('answers over OIP v2 HTTP', async () => {
      const client = createKserveHttpClient(kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: server.url, model: 'item-category' }));
      try {
        const response = await client.infer(
          { id: 'r1', inputs: { TEXT: ['Lenovo ThinkPad T14', 'Consulting day rate'] } },
          { signal: AbortSignal.timeout(5000), traceparent: undefined, deadline: Date.now() + 5000 },
        );
        expect(response.modelName).toBe('item-category');
        expect(response.outputs.LABEL).toEqual(['electronics', 'service']);
      } finally {
        await client.close();
      }
    });
  });
});
