import { ActionError } from '../action.ts';

/**
 * Which queues the `queue` action may address. A flow is user code: it must never reach
 * FlowForge's own queues (the trigger queue would let one tenant start another tenant's flows), nor
 * a queue of another account or region, and a queue URL never chooses where the signed request goes.
 */
export interface QueueTargetPolicy {
  /** The region and account every target queue must be in. */
  region: string;
  account: string;
  /** Queue names starting with this are FlowForge's own (every stage's): refused. Default `flowforge-`. */
  reservedPrefix?: string;
  /** Exact URLs of this deployment's own queues (trigger queue, DLQs): refused whatever their name. */
  ownQueueUrls?: readonly string[];
  /** Local mode: the local SQS endpoint (`http://127.0.0.1:<port>`), whose URLs are accepted too. */
  localEndpoint?: string;
}

/** The target is not a queue the action may send to (FlowForge's own, another account, not an SQS URL). */
export class QueueNotAllowedError extends ActionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueNotAllowed';
  }
}

/** The reserved name prefix of every FlowForge deployment's own queues. */
export const RESERVED_QUEUE_PREFIX = 'flowforge-';

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}(?:\.fifo)?$/;
// https://sqs.<region>.amazonaws.com/<account>/<name> and the legacy https://<region>.queue.amazonaws.com/…
const AWS_QUEUE_URL =
  /^https:\/\/(?:sqs\.([a-z0-9-]+)\.amazonaws\.com|([a-z0-9-]+)\.queue\.amazonaws\.com)\/(\d{12})\/([^/?#]+)$/;
const LOCAL_HOSTS = /^(?:127\.0\.0\.1|localhost|sqs\.[a-z0-9-]+\.localhost)$/;

/** A checked target: the queue's name, and its URL when the config gave one. */
export interface QueueTarget {
  name: string;
  url?: string;
}

const checkName = (name: string, policy: QueueTargetPolicy, what: string): void => {
  if (!QUEUE_NAME.test(name)) {
    throw new QueueNotAllowedError(`${what}: "${name.slice(0, 100)}" is not an SQS queue name`);
  }
  const reserved = (policy.reservedPrefix ?? RESERVED_QUEUE_PREFIX).toLowerCase();
  if (name.toLowerCase().startsWith(reserved)) {
    throw new QueueNotAllowedError(
      `${what}: queues named ${reserved}* belong to FlowForge itself; a flow may not send to them`,
    );
  }
};

/**
 * Checks the `queue` of a config (a queue URL or name) before any request: an SQS URL of the
 * policy's region and account (or of the local endpoint), a queue name outside the reserved prefix,
 * never one of `ownQueueUrls`. Throws `QueueNotAllowedError` naming what is wrong.
 */
export function checkQueueTarget(queue: string, policy: QueueTargetPolicy): QueueTarget {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(queue)) {
    checkName(queue, policy, 'queue');
    return { name: queue };
  }
  const normalized = queue.replace(/\/+$/, '');
  if ((policy.ownQueueUrls ?? []).some((own) => own.replace(/\/+$/, '') === normalized)) {
    throw new QueueNotAllowedError("queue: this is one of FlowForge's own queues; a flow may not send to it");
  }
  const aws = AWS_QUEUE_URL.exec(normalized);
  if (aws) {
    const region = aws[1] ?? aws[2] ?? '';
    const account = aws[3] ?? '';
    const name = decodeURIComponent(aws[4] ?? '');
    if (region !== policy.region || account !== policy.account) {
      throw new QueueNotAllowedError(
        `queue: the queue is in ${region}/${account}; this deployment may send only to queues of ${policy.region}/${policy.account}`,
      );
    }
    checkName(name, policy, 'queue');
    return { name, url: normalized };
  }
  if (policy.localEndpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(normalized);
    } catch {
      url = undefined;
    }
    const local = new URL(policy.localEndpoint);
    const parts = url?.pathname.split('/').filter((part) => part !== '') ?? [];
    if (
      url !== undefined &&
      url.protocol === 'http:' &&
      LOCAL_HOSTS.test(url.hostname) &&
      url.port === local.port &&
      url.search === '' &&
      parts.length === 2 &&
      parts[0] === policy.account
    ) {
      const name = decodeURIComponent(parts[1] ?? '');
      checkName(name, policy, 'queue');
      return { name, url: normalized };
    }
  }
  throw new QueueNotAllowedError(
    `queue: "${queue.slice(0, 200)}" is not an SQS queue URL (https://sqs.${policy.region}.amazonaws.com/${policy.account}/<name>)`,
  );
}

/** The policy of the deployed action: its Lambda's region, `FLOWFORGE_ACCOUNT_ID`, `FLOWFORGE_OWN_QUEUE_URLS`. */
export function queueTargetPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): QueueTargetPolicy {
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    account: env.FLOWFORGE_ACCOUNT_ID ?? '000000000000',
    ownQueueUrls: (env.FLOWFORGE_OWN_QUEUE_URLS ?? '').split(',').filter((url) => url !== ''),
    ...(env.FLOWFORGE_SQS_ENDPOINT ? { localEndpoint: env.FLOWFORGE_SQS_ENDPOINT } : {}),
  };
}
