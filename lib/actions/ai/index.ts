import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SsrfGuard } from '../../security/ssrf-guard.ts';
import type { ActionContext, ActionDefinition } from '../action.ts';
import { awsClientConfig } from '../aws-client-config.ts';
import { createHttpAction } from '../http/index.ts';
import type { HttpConfig, HttpOutput } from '../http/schema.ts';
import { createBedrockProvider } from './bedrock-provider.ts';
import { AiInvalidJsonError, AiRefusedError } from './errors.ts';
import { createOpenAiProvider } from './openai-provider.ts';
import { type AiCompletion, REFUSAL_STOP_REASONS } from './provider.ts';
import { type AiConfig, type AiOutput, aiConfigSchema } from './schema.ts';

export * from './errors.ts';
export type { AiConfig, AiOutput } from './schema.ts';

/** What the ai action depends on; each has a default built from the environment on first use. */
export interface AiActionDeps {
  /** The transport of `openai` calls. Default: the http action with an SSRF guard (see below). */
  http?: ActionDefinition<HttpConfig, HttpOutput>;
  /** Hosts or CIDRs besides `FLOWFORGE_AI_BASE_URL`'s host that calls may reach although private. Default `FLOWFORGE_HTTP_ALLOW`. */
  httpAllow?: string;
  /** Default: a Bedrock Runtime client of the Lambda's region. */
  bedrock?: BedrockRuntimeClient;
  /** Default `FLOWFORGE_AI_BASE_URL`: when set, every call (bedrock ones too) goes to this OpenAI-compatible root. */
  localBaseUrl?: string;
  /** Default `FLOWFORGE_AI_BEDROCK_MODELS` (comma-separated); unset allows any model IAM allows. */
  bedrockModels?: readonly string[];
}

/**
 * Builds the `ai` action (DESIGN.md §2.2): one model call through Bedrock Converse or an
 * OpenAI-compatible endpoint, returning `{ text, json?, model, stopReason, usage }`. With
 * `FLOWFORGE_AI_BASE_URL` set (local mode and tests) both providers call that OpenAI-compatible root
 * instead, and its host is reachable although private. `responseFormat: "json"` parses the answer
 * (code fences are tolerated) or fails with `AiInvalidJson`; a refusal fails with `AiRefused`. Token
 * usage is recorded as the metrics `AiInputTokens` / `AiOutputTokens` (dimension `flowId`).
 */
export function createAiAction(deps: AiActionDeps = {}): ActionDefinition<AiConfig, AiOutput> {
  let http: ActionDefinition<HttpConfig, HttpOutput> | undefined;
  let bedrock: BedrockRuntimeClient | undefined;
  const localBase = () => deps.localBaseUrl ?? (process.env.FLOWFORGE_AI_BASE_URL || undefined);
  const transport = () => {
    http ??= deps.http ?? createHttpAction({ guard: new SsrfGuard({ allow: allowList(deps, localBase()) }) });
    return http;
  };
  const bedrockClient = async () => {
    bedrock ??= deps.bedrock ?? (await newBedrockClient());
    return bedrock;
  };
  const bedrockProvider = createBedrockProvider({
    client: bedrockClient,
    allowedModels: deps.bedrockModels ?? modelsFromEnv(),
  });

  return {
    kind: 'ai',
    configSchema: aiConfigSchema,
    async run(config, context) {
      const call = {
        model: config.model,
        prompt: config.prompt,
        maxTokens: config.maxTokens,
        json: config.responseFormat === 'json',
        timeoutSeconds: config.timeoutSeconds,
        ...(config.system === undefined ? {} : { system: config.system }),
        ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
      };
      const base = localBase();
      let completion: AiCompletion;
      if (config.provider === 'bedrock' && !base) {
        completion = await bedrockProvider(call, context);
      } else {
        const openai = createOpenAiProvider({
          http: transport(),
          baseUrl: base ?? config.baseUrl,
          apiKey: config.apiKey,
        });
        completion = await openai(call, context);
      }
      if (REFUSAL_STOP_REASONS.has(completion.stopReason))
        throw new AiRefusedError(`${config.model} refused to answer (${completion.stopReason})`, {
          cause: completion.stopReason,
        });
      recordUsage(context, completion);
      const output: AiOutput = {
        text: completion.text,
        model: completion.model,
        stopReason: completion.stopReason,
        usage: completion.usage,
      };
      if (call.json) output.json = parseJsonAnswer(completion.text);
      return output;
    },
  };
}

/** The `ai` action of the Lambda and of `flowforge run`, configured from the environment. */
export const aiAction = createAiAction();

async function newBedrockClient(): Promise<BedrockRuntimeClient> {
  const { BedrockRuntimeClient } = await import('@aws-sdk/client-bedrock-runtime');
  return new BedrockRuntimeClient(awsClientConfig(process.env.FLOWFORGE_BEDROCK_ENDPOINT));
}

function allowList(deps: AiActionDeps, base: string | undefined): string[] {
  const entries = (deps.httpAllow ?? process.env.FLOWFORGE_HTTP_ALLOW ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (base) {
    try {
      entries.push(new URL(base).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      // An invalid FLOWFORGE_AI_BASE_URL fails on the call itself, naming the URL.
    }
  }
  return entries;
}

function modelsFromEnv(): string[] | undefined {
  const value = process.env.FLOWFORGE_AI_BEDROCK_MODELS;
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((model) => model.trim())
    .filter(Boolean);
}

/** The answer as JSON; a reply wrapped in a ```json fence is unwrapped first. */
export function parseJsonAnswer(text: string): unknown {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(text);
  const candidate = (fenced?.[1] ?? text).trim();
  try {
    return JSON.parse(candidate);
  } catch (error) {
    const preview = candidate.length > 200 ? `${candidate.slice(0, 200)}…` : candidate;
    throw new AiInvalidJsonError(`the model's answer is not JSON: ${(error as Error).message}`, {
      cause: preview,
    });
  }
}

function recordUsage(context: ActionContext, completion: AiCompletion): void {
  const dimensions = { flowId: context.execution.flowId };
  context.metrics?.count('AiInputTokens', completion.usage.inputTokens, dimensions);
  context.metrics?.count('AiOutputTokens', completion.usage.outputTokens, dimensions);
}
