import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IdempotencyStore } from '../actions/idempotency.ts';
import { invokeAction } from '../actions/invoke-action.ts';
import { type ActionLoaders, type AnyAction, actionRegistry, once } from '../actions/registry.ts';
import type { PayloadStore } from '../payloads/payload-store.ts';
import type { InvokeAction } from '../runtime/local/run-locally.ts';
import type { SecretSource } from '../security/secrets.ts';

export interface LocalActionsOptions {
  /** The email outbox is `<dataDir>/outbox`. */
  dataDir: string;
  /** The local SQS endpoint the queue action sends to. */
  sqsEndpoint: string;
  /** URLs of the local trigger queue and its DLQ: the queue action refuses them. */
  ownQueueUrls?: string[];
  /** Hosts or CIDRs the http action may reach although private (`FLOWFORGE_HTTP_ALLOW`). */
  httpAllow?: string;
  /** Told each message a `log` node wrote, with its run and node. */
  onLogMessage?: (entry: { executionId: string; nodeId: string; level: string; message: string }) => void;
  /** The Lambdas' idempotency (Powertools on the local table) for the kinds with side effects. */
  idempotency?: IdempotencyStore;
  /** Where large outputs go (`<dataDir>/payloads`) and config references come from. */
  payloads?: PayloadStore;
  /** Where `{{ secret:… }}` resolves (the local store's tenant secrets); absent → such Tasks fail `SecretUnavailable`. */
  secrets?: SecretSource;
}

/**
 * The actions of local mode, configured for this server instead of through the environment:
 * `email` writes to the outbox under the data dir, `queue` sends to the local SQS endpoint, `http`
 * refuses private targets unless `httpAllow` opens them; the other kinds are the registry's. Each
 * action (and its SDK client) is loaded when its first Task runs. Each Task runs through
 * `invokeAction`, as in the action Lambdas (payload and config parsed, references resolved, large
 * outputs offloaded to `payloads`, output size limited, idempotent with `idempotency`, secrets of the run's tenant
 * resolved and redacted).
 */
export function createLocalActions(options: LocalActionsOptions): { invoke: InvokeAction; close(): void } {
  let sqs: SQSClient | undefined;
  const actions: ActionLoaders = {
    ...actionRegistry,
    email: once(async () => {
      const { createEmailAction } = await import('../actions/email/index.ts');
      const { createOutboxTransport } = await import('../actions/email/email-transport.ts');
      return createEmailAction({
        transport: createOutboxTransport(join(options.dataDir, 'outbox')),
      }) as AnyAction;
    }),
    queue: once(async () => {
      const [{ SQSClient }, { createQueueAction }] = await Promise.all([
        import('@aws-sdk/client-sqs'),
        import('../actions/queue/index.ts'),
      ]);
      sqs = new SQSClient({
        endpoint: options.sqsEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        useQueueUrlAsEndpoint: false,
      });
      // Local queues are of account 000000000000 on the local endpoint; the trigger queue and its DLQ
      // are FlowForge's own (named flowforge-*), so no flow can start another tenant's flow through them.
      return createQueueAction({
        client: sqs,
        policy: {
          region: 'us-east-1',
          account: '000000000000',
          localEndpoint: options.sqsEndpoint,
          ownQueueUrls: options.ownQueueUrls ?? [],
        },
      }) as AnyAction;
    }),
    // Sandboxed code runs in the worker pool too.
    code: once(async () => {
      const [{ createCodeAction }, { workerCodeRunner }] = await Promise.all([
        import('../actions/code/index.ts'),
        import('./worker-code.ts'),
      ]);
      return createCodeAction({ runner: workerCodeRunner() }) as AnyAction;
    }),
    // JSONata runs in the worker pool, never on the API's event loop.
    transform: once(async () => {
      const [{ createTransformAction }, { workerTransformEvaluator }] = await Promise.all([
        import('../actions/transform/index.ts'),
        import('./worker-transform.ts'),
      ]);
      return createTransformAction({ evaluate: workerTransformEvaluator() }) as AnyAction;
    }),
    http: once(async () => {
      const [{ createHttpAction }, { SsrfGuard }] = await Promise.all([
        import('../actions/http/index.ts'),
        import('../security/ssrf-guard.ts'),
      ]);
      return createHttpAction({ guard: new SsrfGuard({ allow: options.httpAllow ?? '' }) }) as AnyAction;
    }),
    ai: once(async () => {
      const { createAiAction } = await import('../actions/ai/index.ts');
      return createAiAction({ httpAllow: options.httpAllow ?? '' }) as AnyAction;
    }),
  };
  const onLogMessage = options.onLogMessage;
  return {
    invoke: async (payload, context) => {
      const output = await invokeAction(
        { ...payload, action: context.kind },
        {
          registry: actions,
          signal: context.signal,
          ...(options.idempotency ? { idempotency: options.idempotency } : {}),
          ...(options.payloads ? { payloads: options.payloads } : {}),
          ...(options.secrets ? { secrets: options.secrets } : {}),
        },
      );
      if (onLogMessage && context.kind === 'log') {
        const config = payload.config as { level?: unknown } | undefined;
        onLogMessage({
          executionId: payload.execution.id,
          nodeId: payload.nodeId,
          level: typeof config?.level === 'string' ? config.level : 'info',
          message: (output as { message?: string } | undefined)?.message ?? '',
        });
      }
      return output;
    },
    close: () => sqs?.destroy(),
  };
}
