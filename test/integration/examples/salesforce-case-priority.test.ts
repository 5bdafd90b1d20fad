/**
 * Use case 1 end to end: config/use-cases/salesforce-case-priority.yaml, Salesforce Case CDC events on
 * Kafka in the CometD, Kafka Connect and Pub/Sub shapes, sentiment over OIP v2 gRPC, enriched events
 * and dead letters back on Kafka.
 */
import { describe, expect, it } from 'vitest';
import { scoreSentiment } from '../../../services/model-server/index.ts';
import { waitFor } from '../../support/wait-for.ts';
import { kafkaHarness } from '../worker/harness-kafka.ts';
import { deadLettersByCode, exampleFixture, kafkaDestinations, parseEnriched, setupUseCase } from './example-support.ts';

interface CaseOutput {
  sentiment: string;
  sentimentScore: number;
  priority: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const fixture = (name: string, key: string) => ({ key, value: exampleFixture(name), headers: JSON_HEADERS });

describe('use case 1: Salesforce Case changes → sentiment and priority (Kafka, OIP v2 gRPC)', () => {
  const example = setupUseCase('salesforce-case-priority.yaml', {
    destinations: () => kafkaHarness.setup(),
    redirect: kafkaDestinations,
    expectConfig: (config, model) => expect(config.inference.backend).toMatchObject({ kind: 'kserve-grpc', url: model.grpcUrl, model: 'sentiment' }),
  });

  it('scores the case text and derives the priority; gap events and text-less updates are dead-lettered', async () => {
    const { destinations: env, model } = example;
    await env.produce([
      fixture('case-cdc-create-escalation.json', '5008d00000LqT2aAAF'),
      fixture('case-cdc-create-praise.json', '5008d00000LqT3bAAF'),
      fixture('case-cdc-update-description.json', '5008d00000LqT3bAAF'),
      fixture('case-cdc-update-status-only.json', '5008d00000LqT2aAAF'),
      fixture('case-cdc-gap.json', '5008d00000LqT4cAAF'),
    ]);
    await waitFor(() => env.enriched.messages.length >= 3 && env.deadLetters.messages.length >= 2, { timeoutMs: 60_000, what: '3 enriched events and 2 dead letters' });

    const events = env.enriched.messages.map((m) => ({ key: m.key, event: parseEnriched<Record<string, unknown>, CaseOutput>(m) }));
    const byId = new Map(events.map((e) => [e.event.id, e]));
    expect([...byId.keys()].sort()).toEqual(
      ['0004a1e2-7c1d-4f0b-9d55-3c2a8e91b7f0:1', '0004a1e2-9a0f-11ef-8c33-5b7e2d1c0a44:1', '0004a1e3-1b2c-4d5e-8f70-91a2b3c4d5e6:1'].sort(),
    );

    // A production outage reported angrily: negative, High — although the agent filed it as Medium.
    const escalation = byId.get('0004a1e2-7c1d-4f0b-9d55-3c2a8e91b7f0:1')!;
    expect(escalation.key).toBe('5008d00000LqT2aAAF');
    expect(escalation.event).toMatchObject({ type: 'com.modelbridge.salesforce.CasePriority', source: '/modelbridge/salesforce-case-priority', subject: '5008d00000LqT2aAAF' });
    expect(escalation.event.data.input).toMatchObject({ CaseNumber: '00027415', Priority: 'Medium' });
    expect(escalation.event.data.output).toMatchObject({ sentiment: 'negative', priority: 'High' });
    expect(escalation.event.data.output.sentimentScore).toBeLessThanOrEqual(-0.5);

    // A thank-you with a question (Kafka Connect shape): positive, Low.
    const praise = byId.get('0004a1e2-9a0f-11ef-8c33-5b7e2d1c0a44:1')!;
    expect(praise.event.data.output).toMatchObject({ sentiment: 'positive', priority: 'Low' });
    expect(praise.event.data.output.sentimentScore).toBeGreaterThan(0.05);

    // The same case later turns sour: the update carries only the new Description, which is scored alone.
    const update = byId.get('0004a1e3-1b2c-4d5e-8f70-91a2b3c4d5e6:1')!;
    const description = (update.event.data.input as { Description: string }).Description;
    expect(update.event.data.input).not.toHaveProperty('Subject');
    expect(update.event.data.output.sentiment).toBe('negative');
    expect(update.event.data.output.sentimentScore).toBeCloseTo(scoreSentiment(description).score, 5);
    expect(update.event.data.output.priority).toBe(scoreSentiment(description).score <= -0.5 ? 'High' : 'Medium');

    for (const { event } of events) {
      expect(event.data.provenance).toMatchObject({ connector: 'salesforce-case-priority', backend: 'kserve-grpc', model: 'sentiment', attempts: 1 });
    }

    const dead = deadLettersByCode(env.deadLetters);
    expect([...dead.keys()].sort()).toEqual(['GAP_EVENT', 'MAPPING_FAILED']);
    expect(dead.get('GAP_EVENT')![0]!.value.equals(exampleFixture('case-cdc-gap.json'))).toBe(true);
    expect(dead.get('MAPPING_FAILED')![0]!.value.equals(exampleFixture('case-cdc-update-status-only.json'))).toBe(true);
    expect(model.stats.model('sentiment').requests).toBeGreaterThanOrEqual(1);
  });
});
