/**
 * The reference model server: OIP v2 HTTP and gRPC, REST and an OpenAI-compatible subset; sentiment,
 * echo and order-risk models and the OpenAI text models; fault injection, stats.
 */
export { createModelServer } from './server.ts';
export type { ModelServer, ModelServerOptions } from './server.ts';
export type { SchedulingOptions } from './scheduler.ts';
export type { GrpcTlsOptions } from './grpc-server.ts';
export { GRPC_CODE_NAMES, grpcCodeForHttp } from './grpc-status.ts';
export { createFaultRegistry, faultSpecSchema } from './faults.ts';
export type { ActiveFault, FaultRegistry, FaultSpec, FaultSpecInput } from './faults.ts';
export type { ModelStats, ServerStats } from './stats.ts';
export { createSentimentModel, scoreSentiment } from './models/sentiment.ts';
export type { Sentiment } from './models/sentiment.ts';
export { createEchoModel } from './models/echo.ts';
export { createOrderRiskModel, RISK_THRESHOLDS, riskClass, scoreOrderRisk } from './models/order-risk.ts';
export type { OrderFeatures, RiskClass } from './models/order-risk.ts';
export { createTextEmbedder } from './models/text-embedder.ts';
export { createTextGenerator } from './models/text-generator.ts';
export type { Generation, TextEmbedder, TextFormat, TextGenerator, TextMessage, TextModel } from './models/text-model.ts';
export { TEXT_MODELS } from './openai-routes.ts';
export type { Model, Tensor, TensorMetadata } from './models/model.ts';
export { HttpError } from './http-error.ts';
export { classifyItem, createItemCategoryModel, ITEM_CATEGORIES } from './models/item-category.ts';
