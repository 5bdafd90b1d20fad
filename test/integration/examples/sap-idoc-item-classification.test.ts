/**
 * Use case 3 end to end: config/use-cases/sap-idoc-item-classification.yaml, ORDERS05 IDoc XML on a
 * RabbitMQ queue, every line item classified in one batch-dimension request, the enriched IDoc
 * published to a topic exchange and read from the queue bound to it.
 */
import { describe, expect, it } from 'vitest';
import { classifyItem } from '../../../services/model-server/models/item-category.ts';
import { sapFixture } from '../../fixtures/sap/fixtures.ts';
import { waitFor } from '../../support/wait-for.ts';
import { deadLettersByCode, exampleFixture, parseEnriched, rabbitDestinations, setupUseCase } from './example-support.ts';

interface Item {
  category: string;
  confidence: number;
}
interface IdocData {
  control: { DOCNUM: string };
  segments: { E1EDP01: { POSEX: string; NETWR: number }[]; E1EDK01: { BELNR: string }[] };
}

const XML = 'application/xml';

describe('use case 3: SAP ORDERS05 IDocs → line-item classification → exchange (RabbitMQ, OIP v2 HTTP)', () => {
  const example = setupUseCase('sap-idoc-item-classification.yaml', {
    destinations: async () => {
      const rabbit = await rabbitDestinations('orders05');
      // A unique exchange for this run; the connector declares it (exchangeType: topic) and binds its queue.
      return { ...rabbit, enrichedExchange: await rabbit.exchange('mb-example.sap.idoc.enriched') };
    },
    redirect: (rabbit) => ({
      source: { queue: rabbit.source },
      // Same routing key; the unique exchange and the collected queue stand in for the configured ones.
      sink: { exchange: rabbit.enrichedExchange, queue: rabbit.sink },
      deadLetter: { routingKey: rabbit.deadLetter, queue: rabbit.deadLetter },
    }),
    expectConfig: (config) => expect(config.sink).toMatchObject({ kind: 'rabbitmq', exchange: 'sap.idoc.enriched', routingKey: 'orders05.classified' }),
  });

  it('classifies every line item by its text and dead-letters hostile and empty IDocs', async () => {
    const { destinations: rabbit, model } = example;
    const truncated = sapFixture('orders05.xml').subarray(0, 900);
    await rabbit.publish([
      { value: exampleFixture('orders05-mixed-items.xml'), contentType: XML },
      { value: sapFixture('orders05.xml'), contentType: XML },
      { value: truncated, contentType: XML },
      { value: sapFixture('xxe.xml'), contentType: XML },
      { value: exampleFixture('orders05-no-items.xml'), contentType: XML },
    ]);
    await waitFor(() => rabbit.enriched.messages.length >= 2 && rabbit.deadLetters.messages.length >= 3, { timeoutMs: 60_000, what: '2 enriched IDocs and 3 dead letters' });

    const byDocnum = new Map(rabbit.enriched.messages.map((m) => [parseEnriched(m).id, { message: m, event: parseEnriched<IdocData, { items: Item[]; categories: string[] }>(m) }]));
    expect([...byDocnum.keys()].sort()).toEqual(['0000000064132944', '0000000071020455']);

    // Five lines of five kinds, in E1EDP01 order: laptop, copy paper, stainless steel sheet, installation, an unknown part.
    const mixed = byDocnum.get('0000000071020455')!;
    expect(mixed.event).toMatchObject({ type: 'sap.idoc.ORDERS05.ORDERS.classified', source: '/modelbridge/sap-idoc-item-classification', subject: '4500019872', partitionkey: '4500019872' });
    expect(mixed.message.key).toBe('4500019872');
    expect(mixed.event.data.input.segments.E1EDP01.map((item) => item.POSEX)).toEqual(['00010', '00020', '00030', '00040', '00050']);
    // typedFields: amounts arrive as numbers.
    expect(mixed.event.data.input.segments.E1EDP01[0]!.NETWR).toBe(13788);
    const items = mixed.event.data.output.items;
    expect(items.map((item) => item.category)).toEqual(['electronics', 'office-supplies', 'raw-material', 'service', 'other']);
    expect(mixed.event.data.output.categories).toEqual(['electronics', 'office-supplies', 'raw-material', 'service', 'other']);
    // Clear texts are confident; the text-less guess is not.
    for (const item of items.slice(0, 4)) expect(item.confidence).toBeGreaterThan(0.6);
    expect(items[4]!.confidence).toBeLessThan(0.3);
    // The item text the model saw for line 00030 joins E1EDP19.KTEXT and the E1EDPT2 text line.
    expect(items[2]!.confidence).toBeCloseTo(classifyItem('Stainless steel sheet 2mm 1000x2000, 1.4301 alloy, mill finish').confidence, 6);

    // The real-world lumber order: bamboo strand flooring and an oak/maple mix are both raw material.
    const lumber = byDocnum.get('0000000064132944')!;
    expect(lumber.event.data.output.items.map((item) => item.category)).toEqual(['raw-material', 'raw-material']);
    expect(lumber.event.data.output.categories).toEqual(['raw-material']);
    expect(lumber.event.data.provenance).toMatchObject({ connector: 'sap-idoc-item-classification', backend: 'kserve-http', model: 'item-category', attempts: 1 });

    // One request per IDoc, all of its items in it.
    expect(model.stats.model('item-category').requests).toBe(2);

    const dead = deadLettersByCode(rabbit.deadLetters);
    expect([...dead.keys()].sort()).toEqual(['MALFORMED_PAYLOAD', 'MAPPING_FAILED', 'UNSAFE_PAYLOAD']);
    expect(dead.get('MALFORMED_PAYLOAD')![0]!.value.equals(truncated)).toBe(true);
    expect(dead.get('UNSAFE_PAYLOAD')![0]!.value.equals(sapFixture('xxe.xml'))).toBe(true);
    expect(dead.get('MAPPING_FAILED')![0]!.value.equals(exampleFixture('orders05-no-items.xml'))).toBe(true);
  });
});
