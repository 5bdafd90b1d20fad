#!/usr/bin/env bash
# Run a local single-node KRaft Kafka broker from the Maven-resolved jars (no Docker), for development:
#   scripts/kafka-broker.sh resolve   # fetch the jars into ~/.cache/modelbridge (needs mvn)
#   scripts/kafka-broker.sh start     # start a broker; prints KAFKA_BROKERS=…; Ctrl-C stops and cleans up
# Then e.g. `KAFKA_BROKERS=127.0.0.1:PORT npm run test:integration` reuses it across test runs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npm exec --silent -- node scripts/kafka-broker/broker.ts "${1:-start}"
