import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import { isTooLarge, toPublishError } from '../../../connectors/kafka/errors.ts';

const tooLarge = () => new KafkaJSProtocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'whatever the text' } as never);

describe('kafka publish error mapping', () => {
  it('maps a size rejection, also wrapped by the retrier, to non-retryable PUBLISH_TOO_LARGE', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(tooLarge(), { retryCount: 0, retryTime: 0 } as never);
    for (const error of [tooLarge(), wrapped]) {
      expect(isTooLarge(error)).toBe(true);
      expect(toPublishError(error)).toMatchObject({ code: 'PUBLISH_TOO_LARGE', retryable: false, stage: 'publish', upstreamStatus: 'MESSAGE_TOO_LARGE' });
    }
  });

  it('maps other kafkajs errors, retriable by kafkajs or not, to retryable PUBLISH_FAILED', () => {
    const notLeader = new KafkaJSProtocolError({ type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true, message: 'MESSAGE_TOO_LARGE' } as never);
    const connection = new KafkaJSConnectionError('Connection error: MESSAGE_TOO_LARGE');
    const exhausted = new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 100 } as never);
    for (const error of [notLeader, connection, exhausted]) {
      expect(isTooLarge(error)).toBe(false);
      expect(toPublishError(error)).toMatchObject({ code: 'PUBLISH_FAILED', retryable: true, stage: 'publish' });
    }
    expect(toPublishError(notLeader).upstreamStatus).toBe('NOT_LEADER_FOR_PARTITION');
  });

  it('treats anything else as a bug and passes project errors through', () => {
    expect(toPublishError(new TypeError('boom'))).toMatchObject({ code: 'INTERNAL', retryable: false, stage: 'publish' });
    const own = new ModelbridgeError('ABORTED', 'closed');
    expect(toPublishError(own)).toBe(own);
  });
});
