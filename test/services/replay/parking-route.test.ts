import { describe, expect, it } from 'vitest';
import { rabbitmqRoutingKey, sinkSchema } from '../../../schemas/connector-config.ts';
import { parkingRoute } from '../../../services/replay/job.ts';

const rabbitmq = (fields: Record<string, unknown>) => sinkSchema.parse({ kind: 'rabbitmq', url: 'amqp://localhost', ...fields });

describe('parkingRoute', () => {
  it('a RabbitMQ parking lot named only by its queue is reached through the default exchange with the queue as routing key', () => {
    const sink = rabbitmq({ queue: 'orders.parked' });
    expect(parkingRoute(sink).destination).toBe('orders.parked');
    // The sink itself would publish there too: replay and sink agree on the address.
    expect(sink.kind === 'rabbitmq' && rabbitmqRoutingKey(sink)).toBe('orders.parked');
  });

  it('an explicit exchange and routing key are kept as configured', () => {
    expect(parkingRoute(rabbitmq({ exchange: 'parked', routingKey: 'orders', queue: 'orders.parked' })).destination).toBe('orders');
    expect(parkingRoute(rabbitmq({ routingKey: 'orders.parked' })).destination).toBe('orders.parked');
  });

  it('Kafka and memory parking lots are addressed by topic and stream', () => {
    expect(parkingRoute(sinkSchema.parse({ kind: 'kafka', brokers: ['localhost:9092'], topic: 'orders.parked' })).destination).toBe('orders.parked');
    expect(parkingRoute(sinkSchema.parse({ kind: 'memory', stream: 'orders.parked' })).destination).toBe('orders.parked');
  });
});
