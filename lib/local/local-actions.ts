import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ActionDefinition } from '../actions/action.ts';
import { createOutboxTransport } from '../actions/email/email-transport.ts';
import { createEmailAction } from '../actions/email/index.ts';
import { createHttpAction } from '../actions/http/index.ts';
import { invokeAction } from '../actions/invoke-action.ts';
import { createQueueAction } from '../actions/queue/index.ts';
import { actionRegistry } from '../actions/registry.ts';
import type { InvokeAction } from '../runtime/local/run-locally.ts';
import { SsrfGuard } from '../security/ssrf-guard.ts';

export interface LocalActionsOptions {
  /** The email outbox is `<dataDir>/outbox`. */
  dataDir: string;
  /** The local SQS endpoint the queue action sends to. */
  sqsEndpoint: string;
  /** Hosts or CIDRs the http action may reach although private (`FLOWFORGE_HTTP_ALLOW`). */
  httpAllow?: string;
}

/**
 * The actions of local mode, configured for this server instead of through the environment:
 * `email` writes to the outbox under the data dir, `queue` sends to the local SQS endpoint, `http`
 * refuses private targets unless `httpAllow` opens them; the other kinds are the registry's. Each
 * Task runs through `invokeAction`, as in the action Lambdas (payload and config parsed, output size
 * limited).
 */
export function createLocalActions(options: LocalActionsOptions): { invoke: InvokeAction; close(): void } {
  const sqs = new SQSClient({
    endpoint: options.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const actions: Record<string, ActionDefinition<never, unknown>> = {
    ...actionRegistry,
    email: createEmailAction({
      transport: createOutboxTransport(join(options.dataDir, 'outbox')),
    }) as ActionDefinition<never, unknown>,
    queue: createQueueAction({ client: sqs }) as ActionDefinition<never, unknown>,
    http: createHttpAction({ guard: new SsrfGuard({ allow: options.httpAllow ?? '' }) }) as ActionDefinition<
      never,
      unknown
    >,
  };
  return {
    invoke: (payload, context) =>
      invokeAction({ ...payload, action: context.kind }, { registry: actions, signal: context.signal }),
    close: () => sqs.destroy(),
  };
}
