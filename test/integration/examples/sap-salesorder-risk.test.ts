/**
 * Use case 2 end to end: config/use-cases/sap-salesorder-risk.yaml, S/4HANA SalesOrder.Created events
 * on Kafka, features computed by the JSONata request mapping, the order-risk model over OIP v2 HTTP.
 */
import { describe, expect, it } from 'vitest';
import { riskClass, scoreOrderRisk } from '../../../services/model-server/models/order-risk.ts';
import type { OrderFeatures } from '../../../services/model-server/models/order-risk.ts';
import { sapFixture } from '../../fixtures/sap/fixtures.ts';
import { waitFor } from '../../support/wait-for.ts';
import { kafkaHarness } from '../worker/harness-kafka.ts';
import { deadLettersByCode, exampleFixture, kafkaDestinations, parseEnriched, setupUseCase } from './example-support.ts';

interface RiskOutput {
  riskScore: number;
  riskClass: string;
}

const DAY = 86_400_000;
const JSON_HEADERS = { 'content-type': 'application/json' };

describe('use case 2: S/4HANA SalesOrder.Created → order risk (Kafka, OIP v2 HTTP)', () => {
  const example = setupUseCase('sap-salesorder-risk.yaml', {
    destinations: () => kafkaHarness.setup(),
    redirect: kafkaDestinations,
    expectConfig: (config, model) => expect(config.inference.backend).toMatchObject({ kind: 'kserve-http', url: model.url, model: 'order-risk' }),
  });

  it('scores orders from features derived from the event; key-only notifications are dead-lettered', async () => {
    const { destinations: env } = example;
    await env.produce([
      { key: '4817', value: exampleFixture('salesorder-created-high-risk.json'), headers: JSON_HEADERS },
      { key: '4818', value: exampleFixture('salesorder-created-low-risk.json'), headers: JSON_HEADERS },
      // No content type at all, as some Event Mesh bridges send it: still read as a structured CloudEvent.
      { key: '4819', value: exampleFixture('salesorder-created-new-customer.json') },
      { key: '1', value: sapFixture('salesorder-created-notification.json'), headers: JSON_HEADERS },
      { key: '4820', value: '{"type":"sap.s4.beh.salesorder.v1.SalesOrder.Created.v1","specversion":"1.0","id":', headers: JSON_HEADERS },
    ]);
    await waitFor(() => env.enriched.messages.length >= 3 && env.deadLetters.messages.length >= 2, { timeoutMs: 60_000, what: '3 enriched events and 2 dead letters' });

    const byOrder = new Map(
      env.enriched.messages.map((m) => {
        const event = parseEnriched<{ SalesOrder: string }, RiskOutput>(m);
        return [event.data.input.SalesOrder, { key: m.key, event }];
      }),
    );
    expect([...byOrder.keys()].sort()).toEqual(['4817', '4818', '4819']);

    // 248,500 EUR, six items, credit check failed (B), NT90, Argentina, customer dormant since Feb 2023.
    const large = byOrder.get('4817')!;
    expectScore(large.event.data.output, {
      netAmount: 248_500,
      itemCount: 6,
      creditBlocked: true,
      daysSinceLastOrder: Math.floor((Date.parse('2025-03-17T08:12:40Z') - Date.parse('2023-02-03')) / DAY),
      paymentTermsDays: 90,
      countryRiskTier: 7,
    });
    expect(large.event.data.output.riskClass).toBe('high');
    expect(large.event.data.output.riskScore).toBeGreaterThan(0.95);
    expect(large.key).toBe('4817');
    expect(large.event).toMatchObject({ id: 'fa163e6c-1e2b-1eef-b0c2-0a7f3d9e8c11', partitionkey: '4817', type: 'sap.s4.beh.salesorder.v1.SalesOrder.Created.v1.enriched' });

    // 1,850 EUR, two items, credit OK, NT30, Germany, ordered twelve days ago.
    const small = byOrder.get('4818')!;
    expectScore(small.event.data.output, { netAmount: 1850, itemCount: 2, creditBlocked: false, daysSinceLastOrder: 12, paymentTermsDays: 30, countryRiskTier: 0 });
    expect(small.event.data.output.riskClass).toBe('low');

    // Only the amount is known: one item, no credit block, first order (3650 days), 30 days, middle tier.
    const sparse = byOrder.get('4819')!;
    expectScore(sparse.event.data.output, { netAmount: 12_000, itemCount: 1, creditBlocked: false, daysSinceLastOrder: 3650, paymentTermsDays: 30, countryRiskTier: 3 });

    for (const { event } of byOrder.values()) {
      expect(event.data.provenance).toMatchObject({ connector: 'sap-salesorder-risk', backend: 'kserve-http', model: 'order-risk', modelVersion: '1', attempts: 1 });
    }

    const dead = deadLettersByCode(env.deadLetters);
    expect([...dead.keys()].sort()).toEqual(['MALFORMED_PAYLOAD', 'MAPPING_FAILED']);
    // The standard key-only notification has no amount to score.
    expect(dead.get('MAPPING_FAILED')![0]!.value.equals(sapFixture('salesorder-created-notification.json'))).toBe(true);
  });
});

function expectScore(output: RiskOutput, features: OrderFeatures): void {
  const score = scoreOrderRisk(features);
  // The model answers FP32.
  expect(output.riskScore).toBeCloseTo(Math.fround(score), 6);
  expect(output.riskClass).toBe(riskClass(score));
}
