import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActionHandler } from '../../../functions/shared/action-handler.ts';
import type { ActionContext, TaskPayload } from '../../../lib/actions/action.ts';
import {
  createEmailAction,
  createOutboxTransport,
  createSesTransport,
} from '../../../lib/actions/email/index.ts';
import { emailConfigSchema } from '../../../lib/actions/email/schema.ts';
import { createDynamoDbIdempotencyStore } from '../../../lib/actions/idempotency.ts';
import { type LocalTable, startLocalTable } from './local-dynamo.ts';

const context: ActionContext = {
  nodeId: 'notify',
  attempt: 1,
  execution: { id: 'e', startedAt: '2026-01-01T00:00:00Z', flowId: 'f', version: 1 },
};
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected failure');
    },
    (error: Error & { retryable: boolean }) => error,
  );

describe('email action with SES v2 (aws-sdk-client-mock)', () => {
  const ses = mockClient(SESv2Client);
  beforeEach(() => ses.reset());
  const action = (identity = 'Orders <orders@example.com>') =>
    createEmailAction({
      transport: createSesTransport({ client: new SESv2Client({ region: 'eu-west-1' }) }),
      identity,
    });
  const run = (a: ReturnType<typeof createEmailAction>, config: Record<string, unknown>) =>
    a.run(emailConfigSchema.parse(config), context);

  it('sends exactly the SendEmail input the config describes', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    const out = await run(action(), {
      to: ['ann@example.org', 'Bob <bob@example.org>'],
      cc: 'carl@example.org',
      bcc: ['audit@example.com'],
      subject: 'Order o-1',
      text: 'Shipped.',
      html: '<p>Shipped.</p>',
    });
    expect(out).toEqual({ messageId: 'ses-1' });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      FromEmailAddress: 'Orders <orders@example.com>',
      Destination: {
        ToAddresses: ['ann@example.org', 'Bob <bob@example.org>'],
        CcAddresses: ['carl@example.org'],
        BccAddresses: ['audit@example.com'],
      },
      Content: {
        Simple: {
          Subject: { Data: 'Order o-1', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Shipped.', Charset: 'UTF-8' },
            Html: { Data: '<p>Shipped.</p>', Charset: 'UTF-8' },
          },
        },
      },
    });
  });

  it('accepts a from inside a domain identity and refuses one outside it', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2' });
    await run(action('example.com'), {
      to: 'a@example.org',
      subject: 's',
      text: 't',
      from: 'Sales <sales@example.com>',
    });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.FromEmailAddress).toBe(
      'Sales <sales@example.com>',
    );
    const error = await failure(
      run(action('example.com'), { to: 'a@example.org', subject: 's', text: 't', from: 'x@evil.test' }),
    );
    expect(error.name).toBe('InvalidConfig');
    const other = await failure(
      run(action(), { to: 'a@example.org', subject: 's', text: 't', from: 'boss@example.com' }),
    );
    expect(other.name).toBe('InvalidConfig');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('maps SES refusals to EmailRejected and throttling to EmailSendFailed (retryable)', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }));
    const rejected = await failure(run(action(), { to: 'a@example.org', subject: 's', text: 't' }));
    expect(rejected.name).toBe('EmailRejected');
    expect(rejected.retryable).toBe(false);
    ses
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    const throttled = await failure(run(action(), { to: 'a@example.org', subject: 's', text: 't' }));
    expect(throttled.name).toBe('EmailSendFailed');
    expect(throttled.retryable).toBe(true);
  });

  it('refuses to send through SES without a configured identity', async () => {
    const a = createEmailAction({ transport: undefined, identity: '' });
    vi.stubEnv('FLOWFORGE_LOCAL', '');
    vi.stubEnv('FLOWFORGE_EMAIL_FROM', '');
    try {
      expect((await failure(run(a, { to: 'a@example.org', subject: 's', text: 't' }))).name).toBe(
        'EmailRejected',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses configs without a body or with a header-injecting subject', () => {
    expect(emailConfigSchema.safeParse({ to: 'a@example.org', subject: 's' }).success).toBe(false);
    expect(
      emailConfigSchema.safeParse({ to: 'a@example.org', subject: 's\r\nBcc: x@y.z', text: 't' }).success,
    ).toBe(false);
    expect(emailConfigSchema.safeParse({ to: 'not an address', subject: 's', text: 't' }).success).toBe(
      false,
    );
  });
});

describe('email action in local mode: the outbox', () => {
  let dir: string;
  let table: LocalTable;
  beforeAll(async () => {
    table = await startLocalTable();
  });
  afterAll(async () => {
    await table.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ff-outbox-'));
    for (const stream of [process.stdout, process.stderr])
      vi.spyOn(stream, 'write').mockImplementation(() => true);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an .eml file under <FLOWFORGE_DATA_DIR>/outbox with FLOWFORGE_LOCAL=1', async () => {
    vi.stubEnv('FLOWFORGE_LOCAL', '1');
    vi.stubEnv('FLOWFORGE_DATA_DIR', dir);
    vi.stubEnv('FLOWFORGE_EMAIL_FROM', '');
    const out = await createEmailAction().run(
      emailConfigSchema.parse({
        to: 'ann@example.org',
        subject: 'Grüße',
        text: 'Hallo Ann',
        html: '<b>Hallo</b>',
      }),
      context,
    );
    const files = await readdir(join(dir, 'outbox'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.eml$/);
    const eml = await readFile(join(dir, 'outbox', files[0] ?? ''), 'utf8');
    expect(eml).toContain(`Message-ID: ${out.messageId}`);
    expect(eml).toContain('To: ann@example.org');
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Grüße').toString('base64')}?=`);
    expect(eml).toContain('multipart/alternative');
    expect(eml).toContain(Buffer.from('Hallo Ann').toString('base64'));
  });

  it('the same Task payload delivered twice leaves one email in the outbox', async () => {
    const handler = createActionHandler(
      createEmailAction({ transport: createOutboxTransport(join(dir, 'outbox')) }),
      {
        idempotency: createDynamoDbIdempotencyStore({ tableName: table.tableName, client: table.client }),
      },
    );
    const task: TaskPayload = {
      nodeId: 'notify',
      action: 'email',
      config: { to: 'ann@example.org', subject: 'Once', text: 'only once' },
      execution: { id: 'exec-mail', startedAt: '2026-01-01T00:00:00Z', flowId: 'f', version: 1 },
      attempt: 1,
    };
    const lambdaContext = {
      getRemainingTimeInMillis: () => 10_000,
      functionName: 'email',
      awsRequestId: 'r',
    } as Context;
    const first = await handler(task, lambdaContext);
    const second = await handler(structuredClone(task), lambdaContext);
    expect(second).toEqual(first);
    expect(await readdir(join(dir, 'outbox'))).toHaveLength(1);
  });
});

describe('issue 11: header injection through the email action', () => {
  const parse = (config: Record<string, unknown>) =>
    emailConfigSchema.safeParse({ subject: 's', text: 't', ...config });

  it('a recipient built from input cannot add recipients or break the header', () => {
    for (const to of [
      'b@evil.example, Ann <ann@example.org>',
      'ann@example.org,b@evil.example',
      'ann@example.org\r\nBcc: b@evil.example',
      'ann@example.org\u2028Bcc: b@evil.example',
      'Ann\u2029 <ann@example.org>',
      'undisclosed: b@evil.example;',
      'ann@example.org\n',
    ]) {
      expect(parse({ to }).success, JSON.stringify(to)).toBe(false);
    }
    expect(
      parse({ to: ['ann@example.org', 'Bob <bob@example.org>', '"Evil, Inc" <e@example.org>'] }).success,
    ).toBe(true);
  });

  it('refuses CR, LF and U+2028/2029 in the subject and every address field', () => {
    for (const subject of ['a\rb', 'a\nb', 'a\u2028b', 'a\u2029b'])
      expect(parse({ to: 'a@example.org', subject }).success, JSON.stringify(subject)).toBe(false);
    for (const field of ['cc', 'bcc', 'replyTo', 'from'])
      expect(
        parse({ to: 'a@example.org', [field]: 'x@example.org\u2028Bcc: y@example.org' }).success,
        field,
      ).toBe(false);
  });
});
