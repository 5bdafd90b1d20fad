/** `openai` inference client: OpenAI-compatible servers (vLLM, TGI, Ollama, OpenAI). */
export { createOpenaiClient } from './client.ts';
export type { OpenaiClientDeps } from './client.ts';
export { classifyStatus, parseErrorEnvelope } from './classify.ts';
export type { ErrorEnvelope, RetryHeaders } from './classify.ts';
export { createStructuredOutput } from './structured-output.ts';
export type { ResponseFormatConfig, StructuredOutput } from './structured-output.ts';
export { createTokenBudget } from './token-budget.ts';
export type { TokenBudget, TokenBudgetOptions } from './token-budget.ts';
export { buildCall, DEFAULT_COMPLETION_TOKENS, parseAnswer } from './protocol.ts';
export type { OpenaiCall } from './protocol.ts';
