import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionMetrics } from '../../../lib/actions/action.ts';
import { createAiAction } from '../../../lib/actions/ai/index.ts';
import { runAction } from '../../../lib/actions/run-action.ts';
import { DEFAULT_RETRY_ON } from '../../../lib/compiler/retry.ts';

type Reply = (
  request: { body: Record<string, unknown>; headers: IncomingMessage['headers'] },
  res: ServerResponse,
) => void;

/** An OpenAI-compatible chat-completions server of the test's own, on 127.0.0.1. */
function completion(content: string | null, extra: Record<string, unknown> = {}) {
  return {
    id: 'cmpl-1',
    object: 'chat.completion',
    model: 'local-model-1',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content }, ...extra }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  };
}

const task = (config: Record<string, unknown>) => ({
  nodeId: 'classify',
  action: 'ai',
  config,
  execution: { id: 'e1', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'flow-7', version: 1 },
  attempt: 1,
});

describe('ai action, openai provider against a local OpenAI-compatible server', () => {
  let server: Server;
  let baseUrl: string;
  let reply: Reply;
  const requests: Array<{ path: string; body: Record<string, unknown>; authorization?: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        requests.push({ path: req.url ?? '', body, authorization: req.headers.authorization });
        reply({ body, headers: req.headers }, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    requests.length = 0;
  });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const metricsSeen: Array<[string, number, Record<string, string> | undefined]> = [];
  const metrics: ActionMetrics = {
    count: (name, value, dimensions) => metricsSeen.push([name, value, dimensions]),
  };
  const action = () => createAiAction({ localBaseUrl: undefined, httpAllow: '127.0.0.1' });
  const call = (config: Record<string, unknown>) =>
    runAction(action(), task({ provider: 'openai', baseUrl, model: 'gpt-test', prompt: 'Hi', ...config }), {
      metrics,
    });

  it('text: sends system, prompt, limits and the key; answers text, model, stopReason and usage', async () => {
    reply = (_req, res) => json(res, 200, completion('Hello there'));
    const output = await call({ system: 'Be terse.', maxTokens: 50, temperature: 0, apiKey: 'sk-local-123' });
    expect(output).toEqual({
      text: 'Hello there',
      model: 'local-model-1',
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 5 },
    });
    expect(requests).toEqual([
      {
        path: '/v1/chat/completions',
        authorization: 'Bearer sk-local-123',
        body: {
          model: 'gpt-test',
          messages: [
            { role: 'system', content: 'Be terse.' },
            { role: 'user', content: 'Hi' },
          ],
          max_tokens: 50,
          temperature: 0,
        },
      },
    ]);
    expect(metricsSeen).toEqual(
      expect.arrayContaining([
        ['AiInputTokens', 12, { flowId: 'flow-7' }],
        ['AiOutputTokens', 5, { flowId: 'flow-7' }],
      ]),
    );
  });

  it('JSON mode: asks for a JSON object and parses the answer (a fenced one too)', async () => {
    reply = (_req, res) => json(res, 200, completion('```json\n{"category":"billing","urgent":true}\n```'));
    const output = (await call({ responseFormat: 'json' })) as { json: unknown; text: string };
    expect(requests[0]?.body.response_format).toEqual({ type: 'json_object' });
    expect(output.json).toEqual({ category: 'billing', urgent: true });
    expect(output.text).toContain('"category"');
  });

  it('JSON mode with an answer that is not JSON fails with AiInvalidJson', async () => {
    reply = (_req, res) => json(res, 200, completion('Sure! The category is billing.'));
    await expect(call({ responseFormat: 'json' })).rejects.toMatchObject({
      name: 'AiInvalidJson',
      cause: 'Sure! The category is billing.',
    });
  });

  it('429 is AiThrottled (retryable, with Retry-After) and the default retryOn retries it', async () => {
    reply = (_req, res) => json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '3' });
    const error = await call({}).catch(
      (thrown: unknown) => thrown as Error & { retryable?: boolean; retryAfterSeconds?: number },
    );
    expect(error).toMatchObject({ name: 'AiThrottled', retryable: true, retryAfterSeconds: 3 });
    expect(DEFAULT_RETRY_ON).toContain('AiThrottled');
  });

  it('no answer within timeoutSeconds is AiTimeout', async () => {
    reply = () => {
      // never answers
    };
    await expect(call({ timeoutSeconds: 0.3 })).rejects.toMatchObject({ name: 'AiTimeout' });
  });

  it('a refusal or a content filter is AiRefused', async () => {
    reply = (_req, res) =>
      json(
        res,
        200,
        completion(null, {
          message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
        }),
      );
    await expect(call({})).rejects.toMatchObject({ name: 'AiRefused' });
    reply = (_req, res) =>
      json(res, 200, {
        ...completion(''),
        choices: [{ finish_reason: 'content_filter', message: { content: '' } }],
      });
    await expect(call({})).rejects.toMatchObject({ name: 'AiRefused' });
  });

  it('the SSRF guard refuses a private endpoint that is not allowed', async () => {
    const guarded = createAiAction({ localBaseUrl: undefined, httpAllow: '' });
    await expect(
      runAction(guarded, task({ provider: 'openai', baseUrl, model: 'm', prompt: 'Hi' })),
    ).rejects.toMatchObject({ name: 'TargetRefused' });
    expect(requests).toEqual([]);
  });

  it('FLOWFORGE_AI_BASE_URL sends bedrock calls to the OpenAI-compatible server too (and allows its host)', async () => {
    reply = (_req, res) => json(res, 200, completion('local bedrock'));
    const local = createAiAction({ localBaseUrl: baseUrl, httpAllow: '' });
    const output = await runAction(
      local,
      task({ provider: 'bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', prompt: 'Hi' }),
    );
    expect(output).toMatchObject({ text: 'local bedrock' });
    expect(requests[0]?.body.model).toBe('anthropic.claude-3-5-haiku-20241022-v1:0');
  });
});

describe('ai action, bedrock provider (Converse through the SDK)', () => {
  const bedrock = mockClient(BedrockRuntimeClient);
  beforeEach(() => bedrock.reset());
  const model = 'anthropic.claude-3-5-haiku-20241022-v1:0';
  const action = (models: string[] = [model]) =>
    createAiAction({
      bedrock: new BedrockRuntimeClient({ region: 'eu-central-1' }),
      bedrockModels: models,
      localBaseUrl: undefined,
    });
  const call = (config: Record<string, unknown> = {}, models?: string[]) =>
    runAction(action(models), task({ provider: 'bedrock', model, prompt: 'Summarise: x', ...config }));

  it('sends one Converse call with system, the prompt and the inference config', async () => {
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'Short.' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 20, outputTokens: 2, totalTokens: 22 },
      metrics: { latencyMs: 100 },
    });
    const output = await call({ system: 'You are terse.', maxTokens: 400, temperature: 0 });
    expect(output).toEqual({
      text: 'Short.',
      model,
      stopReason: 'end_turn',
      usage: { inputTokens: 20, outputTokens: 2 },
    });
    const calls = bedrock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      modelId: model,
      messages: [{ role: 'user', content: [{ text: 'Summarise: x' }] }],
      system: [{ text: 'You are terse.' }],
      inferenceConfig: { maxTokens: 400, temperature: 0 },
    });
  });

  it('JSON mode adds the instruction and parses the answer', async () => {
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: '{"route":"sales"}' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      metrics: { latencyMs: 1 },
    });
    await expect(call({ responseFormat: 'json' })).resolves.toMatchObject({ json: { route: 'sales' } });
    expect(bedrock.commandCalls(ConverseCommand)[0]?.args[0].input.system).toEqual([
      { text: 'Answer with one JSON value only: no prose, no code fences.' },
    ]);
  });

  it('throttling and an unavailable service are AiThrottled; a guardrail is AiRefused', async () => {
    bedrock.on(ConverseCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(call()).rejects.toMatchObject({ name: 'AiThrottled', retryable: true });
    bedrock.on(ConverseCommand).rejects(new ServiceUnavailableException({ message: 'busy', $metadata: {} }));
    await expect(call()).rejects.toMatchObject({ name: 'AiThrottled' });
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: '' }] } },
      stopReason: 'guardrail_intervened',
      usage: { inputTokens: 1, outputTokens: 0, totalTokens: 1 },
      metrics: { latencyMs: 1 },
    });
    await expect(call()).rejects.toMatchObject({ name: 'AiRefused' });
  });

  it('a model the deployment does not enable is refused before any call', async () => {
    await expect(call({}, ['amazon.nova-micro-v1:0'])).rejects.toMatchObject({
      name: 'InvalidConfig',
      message: expect.stringContaining('not enabled for this deployment'),
    });
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });
});
