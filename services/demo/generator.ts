/**
 * Realistic business events for the demo: Salesforce Case change events and SAP S/4HANA customer
 * complaint events as CloudEvents, with customer text for the sentiment model — and some hostile
 * ones (broken JSON, missing id, wrong content type, oversized, a text the model rejects).
 */
import type { Headers } from '../../connectors/types.ts';

export interface DemoMessage {
  readonly stream: 'salesforce.cdc.Case' | 'sap.s4.complaints';
  readonly key: string;
  readonly value: string;
  readonly headers: Headers;
  /** What the demo expects to happen to it. */
  readonly expect: 'enriched' | 'dead-letter';
}

const CASE_TEXTS = [
  'The replacement part arrived broken again and nobody answers the phone. Very disappointed.',
  'Thank you, the technician was excellent and fixed the conveyor quickly. Great service!',
  'Invoice 90001234 shows the wrong quantity, please correct it.',
  'Delivery was late but the support team was helpful and friendly.',
  'Terrible experience, the order was cancelled without notice and the refund is missing.',
  'Not bad at all, the new portal is easy to use.',
  'The pump is not working after the update. This is unacceptable for a production line.',
  'Happy with the quick response, problem solved.',
];

const COMPLAINT_TEXTS = [
  'Goods received damaged, packaging was poor and the pallet collapsed.',
  'Quality of batch 4711 is excellent, thank you for the fast replacement.',
  'Wrong material delivered, we ordered 200 units of TG11 and got TG12.',
  'Shipment incomplete again, this is the third time this month. Awful.',
];

const STRUCTURED = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length]!;
}

function salesforceCase(i: number, text: string): DemoMessage {
  const caseId = `5005g00000Ab${String(1000 + (i % 12)).padStart(4, '0')}`;
  const transactionKey = `0002343d-9d90-e395-ed20-cf416ba652ad-${i}`;
  const event = {
    specversion: '1.0',
    id: `${transactionKey}:${i}`,
    source: '/salesforce/00D5g000004XyzAEAS/data/CaseChangeEvent',
    type: 'com.salesforce.cdc.CaseChangeEvent',
    subject: caseId,
    time: new Date(Date.UTC(2026, 10, 27, 9, 30, i % 60)).toISOString(),
    partitionkey: caseId,
    datacontenttype: 'application/json',
    data: {
      ChangeEventHeader: {
        entityName: 'Case',
        recordIds: [caseId],
        changeType: i % 3 === 0 ? 'CREATE' : 'UPDATE',
        changeOrigin: 'com/salesforce/api/rest/62.0',
        transactionKey,
        sequenceNumber: 1,
        commitTimestamp: 1764235800000 + i,
        commitUser: '0055g00000HvQxAAAV',
        changedFields: ['Description', 'LastModifiedDate'],
      },
      Subject: `Case ${caseId}`,
      Description: text,
      Priority: i % 4 === 0 ? 'High' : 'Medium',
    },
  };
  return { stream: 'salesforce.cdc.Case', key: caseId, value: JSON.stringify(event), headers: STRUCTURED, expect: 'enriched' };
}

function sapComplaint(i: number, text: string): DemoMessage {
  const complaint = String(4_000_000 + i).padStart(10, '0');
  const event = {
    specversion: '1.0',
    id: `7a1b3c4d-${String(i).padStart(4, '0')}-4e5f-8a9b-0c1d2e3f4a5b`,
    source: '/default/sap.s4.beh/S4HCLNT100',
    type: 'sap.s4.beh.customercomplaint.v1.CustomerComplaint.Created.v1',
    subject: complaint,
    time: new Date(Date.UTC(2026, 10, 27, 10, 0, i % 60)).toISOString(),
    datacontenttype: 'application/json',
    data: { CustomerComplaint: complaint, SoldToParty: '0010100001', ComplaintText: text },
  };
  return { stream: 'sap.s4.complaints', key: complaint, value: JSON.stringify(event), headers: STRUCTURED, expect: 'enriched' };
}

/** `count` messages, roughly one in ten hostile. Deterministic for a given count. */
export function generateDemoMessages(count: number): DemoMessage[] {
  const messages: DemoMessage[] = [];
  for (let i = 0; i < count; i++) {
    const hostile = i % 10 === 9 ? Math.floor(i / 10) % 5 : -1;
    if (hostile === 0) {
      messages.push({ stream: 'salesforce.cdc.Case', key: 'broken', value: '{"specversion":"1.0","id":"trunc', headers: STRUCTURED, expect: 'dead-letter' });
    } else if (hostile === 1) {
      const event = JSON.parse(sapComplaint(i, 'missing id').value) as Record<string, unknown>;
      delete event.id;
      messages.push({ stream: 'sap.s4.complaints', key: 'no-id', value: JSON.stringify(event), headers: STRUCTURED, expect: 'dead-letter' });
    } else if (hostile === 2) {
      messages.push({ stream: 'sap.s4.complaints', key: 'xml', value: '<ZCOMPLAINT><ID>1</ID></ZCOMPLAINT>', headers: { 'content-type': 'application/xml' }, expect: 'dead-letter' });
    } else if (hostile === 3) {
      const big = salesforceCase(i, 'x'.repeat(70_000));
      messages.push({ ...big, expect: 'dead-letter' });
    } else if (hostile === 4) {
      const poison = salesforceCase(i, 'POISON: attachment with an unreadable encoding');
      messages.push({ ...poison, expect: 'dead-letter' });
    } else if (i % 3 === 2) {
      messages.push(sapComplaint(i, pick(COMPLAINT_TEXTS, i)));
    } else {
      messages.push(salesforceCase(i, pick(CASE_TEXTS, i)));
    }
  }
  return messages;
}
