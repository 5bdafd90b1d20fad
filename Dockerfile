# Modelbridge worker image. The build stage compiles the TypeScript to JavaScript (`npm run build`):
# the image then never loads Node's type stripper (about 18 MB of RSS per process) and starts faster.
# Size budget (README, "Container image"): at most 300 MB uncompressed, of which the application
# layers (production dependencies and code) at most 60 MB.
FROM node:24-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Every dependency (TypeScript is a dev dependency), no install scripts.
RUN npm ci --ignore-scripts
COPY scripts/build.ts ./scripts/build.ts
COPY connectors ./connectors
COPY schemas ./schemas
COPY services ./services
RUN node scripts/build.ts --out dist

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only, no install scripts; then npm, npx and yarn go: nothing runs them.
RUN npm ci --omit=dev --ignore-scripts \
  && npm cache clean --force \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx \
    /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /root/.npm /tmp/*
COPY --from=build /build/dist/connectors ./connectors
COPY --from=build /build/dist/schemas ./schemas
COPY --from=build /build/dist/services ./services
COPY config ./config
# Files stay root-owned and read-only to the worker, which runs as the image's unprivileged user.
USER node
EXPOSE 9464
# Liveness of `modelbridge run` on its default port; a container started with another --port or
# command (model-server) sets its own healthcheck.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "services/cli/launch.js"]
CMD ["run", "--config", "config/kafka-sentiment.yaml", "--host", "0.0.0.0"]
