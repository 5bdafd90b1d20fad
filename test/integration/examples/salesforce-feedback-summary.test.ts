/**
 * Use case 4 end to end: config/use-cases/salesforce-feedback-summary.yaml, Customer_Feedback__e
 * platform events on RabbitMQ (CometD and Pub/Sub shapes), summary and category from the reference
 * server's OpenAI-compatible chat endpoint with structured output.
 */
import { describe, expect, it } from 'vitest';
import { scoreSentiment } from '../../../services/model-server/index.ts';
import { salesforceFixture } from '../../fixtures/salesforce/fixtures.ts';
import { waitFor } from '../../support/wait-for.ts';
import { deadLettersByCode, exampleFixture, parseEnriched, rabbitDestinations, setupUseCase } from './example-support.ts';

interface Feedback {
  Feedback__c: string;
  Contact_Id__c: string;
  Rating__c: number;
}
interface Triage {
  summary: string;
  category: string;
  sentiment: string;
}

const JSON_TYPE = 'application/json';

describe('use case 4: Salesforce feedback platform events → summary and category (RabbitMQ, OpenAI structured output)', () => {
  const example = setupUseCase('salesforce-feedback-summary.yaml', {
    // The Pub/Sub shape does not name its event: the queue's name does, as in the example config.
    destinations: () => rabbitDestinations('Customer_Feedback__e'),
    redirect: (rabbit) => ({
      source: { queue: rabbit.source },
      sink: { routingKey: rabbit.sink, queue: rabbit.sink },
      deadLetter: { routingKey: rabbit.deadLetter, queue: rabbit.deadLetter },
    }),
    expectConfig: (config, model) => expect(config.inference.backend).toMatchObject({ kind: 'openai', url: `${model.url}/v1`, model: 'text-generator' }),
  });

  it('summarises each feedback in its own words and picks the category it is about', async () => {
    const { destinations: rabbit } = example;
    await rabbit.publish([
      { value: exampleFixture('feedback-billing-cometd.json'), contentType: JSON_TYPE },
      { value: exampleFixture('feedback-delivery-pubsub.json'), contentType: JSON_TYPE },
      { value: exampleFixture('feedback-blank-cometd.json'), contentType: JSON_TYPE },
      // A CDC event routed to the wrong queue.
      { value: salesforceFixture('cdc-cometd-create.json'), contentType: JSON_TYPE },
    ]);
    await waitFor(() => rabbit.enriched.messages.length >= 2 && rabbit.deadLetters.messages.length >= 2, { timeoutMs: 60_000, what: '2 triaged events and 2 dead letters' });

    const byId = new Map(rabbit.enriched.messages.map((m) => [parseEnriched(m).id, { key: m.key, event: parseEnriched<Feedback, Triage>(m) }]));
    expect([...byId.keys()].sort()).toEqual(['6b7f3c1e-2d4a-4c8e-9f01-3a5b7c9d1e2f', 'c41d8a2e-5f60-4b7a-8c9d-0e1f2a3b4c5d']);

    const billing = byId.get('6b7f3c1e-2d4a-4c8e-9f01-3a5b7c9d1e2f')!;
    expect(billing.event).toMatchObject({ type: 'com.salesforce.event.Customer_Feedback__e.enriched', subject: '0038d00000Ab12CAAR' });
    expect(billing.key).toBe('0038d00000Ab12CAAR');
    expectDrawnFrom(billing.event.data.output.summary, billing.event.data.input.Feedback__c);
    expect(billing.event.data.output.summary).toMatch(/charged twice/);
    expect(billing.event.data.output.category).toBe('billing');
    expect(billing.event.data.output.sentiment).toBe(scoreSentiment(billing.event.data.input.Feedback__c).label);

    // Pub/Sub shape, Avro unions unwrapped by the decoder.
    const delivery = byId.get('c41d8a2e-5f60-4b7a-8c9d-0e1f2a3b4c5d')!;
    expect(delivery.event.data.input).toMatchObject({ Contact_Id__c: '0038d00000Cd34EAAR', Rating__c: 2 });
    expectDrawnFrom(delivery.event.data.output.summary, delivery.event.data.input.Feedback__c);
    expect(delivery.event.data.output.summary).toMatch(/parcel arrived two weeks late/);
    expect(delivery.event.data.output.category).toBe('delivery');

    for (const { event } of byId.values()) {
      expect(event.data.provenance).toMatchObject({ connector: 'salesforce-feedback-summary', backend: 'openai', model: 'text-generator', attempts: 1 });
      // Token usage as the server reported it.
      expect(event.data.provenance.usage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) });
    }

    const dead = deadLettersByCode(rabbit.deadLetters);
    expect([...dead.keys()].sort()).toEqual(['INVALID_EVENT', 'MAPPING_FAILED']);
    expect(dead.get('MAPPING_FAILED')![0]!.value.equals(exampleFixture('feedback-blank-cometd.json'))).toBe(true);
    expect(dead.get('INVALID_EVENT')![0]!.value.equals(salesforceFixture('cdc-cometd-create.json'))).toBe(true);
  });
});

/** The summary is a non-empty excerpt of the feedback (whitespace normalised), not invented text. */
function expectDrawnFrom(summary: string, feedback: string): void {
  expect(summary.length).toBeGreaterThan(10);
  expect(feedback.replace(/\s+/g, ' ')).toContain(summary);
}
