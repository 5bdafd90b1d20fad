# Modelbridge worker image. Node 24 strips TypeScript types natively: no build step.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY connectors ./connectors
COPY schemas ./schemas
COPY services ./services
COPY config ./config
USER node
EXPOSE 9464
ENTRYPOINT ["node", "services/cli/launch.ts"]
CMD ["run", "--config", "config/kafka-sentiment.yaml", "--host", "0.0.0.0"]
