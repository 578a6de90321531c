import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  signGithubWebhook,
  signWebhook,
  verifyWebhook,
  WebhookSecretError,
} from '../../../lib/security/webhook-signature.ts';

// The published Standard Webhooks / Svix test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const vectorNow = new Date(VECTOR.timestamp * 1000);

function vectorHeaders(overrides: Record<string, string | undefined> = {}) {
  return {
    'webhook-id': VECTOR.id,
    'webhook-timestamp': String(VECTOR.timestamp),
    'webhook-signature': VECTOR.signature,
    ...overrides,
  };
}

describe('verifyWebhook (Standard Webhooks)', () => {
  it('accepts the published test vector', () => {
    const result = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders(),
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result).toEqual({ ok: true, webhookId: VECTOR.id, timestamp: VECTOR.timestamp });
  });

  it('signs exactly like the test vector', () => {
    const headers = signWebhook({
      secret: VECTOR.secret,
      webhookId: VECTOR.id,
      timestamp: VECTOR.timestamp,
      rawBody: VECTOR.body,
    });
    expect(headers['webhook-signature']).toBe(VECTOR.signature);
  });

  it('verifies a Buffer body byte for byte', () => {
    const result = verifyWebhook({
      rawBody: Buffer.from(VECTOR.body, 'utf8'),
      headers: vectorHeaders(),
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result.ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    const result = verifyWebhook({
      rawBody: '{"test": 2432232315}',
      headers: vectorHeaders(),
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects the wrong secret', () => {
    const result = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders(),
      secrets: [generateWebhookSecret()],
      now: vectorNow,
    });
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a timestamp outside the tolerance, both ways', () => {
    const old = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders(),
      secrets: [VECTOR.secret],
      now: new Date((VECTOR.timestamp + 301) * 1000),
    });
    expect(old).toMatchObject({ ok: false, reason: 'stale-timestamp' });
    const future = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders(),
      secrets: [VECTOR.secret],
      now: new Date((VECTOR.timestamp - 301) * 1000),
    });
    expect(future).toMatchObject({ ok: false, reason: 'stale-timestamp' });
    const edge = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders(),
      secrets: [VECTOR.secret],
      now: new Date((VECTOR.timestamp + 300) * 1000),
    });
    expect(edge.ok).toBe(true);
  });

  it('rejects a non-numeric timestamp as bad-timestamp', () => {
    const result = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders({ 'webhook-timestamp': '2021-02-25T15:02:10Z' }),
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result).toMatchObject({ ok: false, reason: 'bad-timestamp' });
  });

  it('names every missing header', () => {
    const result = verifyWebhook({
      rawBody: VECTOR.body,
      headers: { 'webhook-id': VECTOR.id },
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result).toMatchObject({ ok: false, reason: 'missing-headers' });
    expect(result.ok === false && result.message).toContain('webhook-timestamp, webhook-signature');
  });

  it('matches header names case-insensitively', () => {
    const result = verifyWebhook({
      rawBody: VECTOR.body,
      headers: {
        'Webhook-Id': VECTOR.id,
        'WEBHOOK-TIMESTAMP': String(VECTOR.timestamp),
        'Webhook-Signature': VECTOR.signature,
      },
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result.ok).toBe(true);
  });

  it('accepts any of several signatures and any of several secrets (rotation)', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const now = new Date('2026-05-01T10:00:00Z');
    const headers = signWebhook({
      secret: [oldSecret, newSecret],
      webhookId: 'msg_1',
      timestamp: now,
      rawBody: 'x',
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    // Receiver already moved to the new secret only.
    expect(verifyWebhook({ rawBody: 'x', headers, secrets: [newSecret], now }).ok).toBe(true);
    // Receiver still holds only the old one.
    expect(verifyWebhook({ rawBody: 'x', headers, secrets: [oldSecret], now }).ok).toBe(true);
    // Sender signs with the new secret, receiver holds both.
    const single = signWebhook({ secret: newSecret, webhookId: 'msg_2', timestamp: now, rawBody: 'x' });
    expect(verifyWebhook({ rawBody: 'x', headers: single, secrets: [oldSecret, newSecret], now }).ok).toBe(
      true,
    );
  });

  it('ignores signatures of other versions and reports a header without v1 as bad-signature', () => {
    const result = verifyWebhook({
      rawBody: VECTOR.body,
      headers: vectorHeaders({ 'webhook-signature': 'v1a,abc v2,def' }),
      secrets: [VECTOR.secret],
      now: vectorNow,
    });
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('throws on a misconfigured secret, not on sender input', () => {
    expect(() =>
      verifyWebhook({ rawBody: 'x', headers: vectorHeaders(), secrets: ['whsec_!!!'], now: vectorNow }),
    ).toThrow(WebhookSecretError);
    expect(() =>
      verifyWebhook({ rawBody: 'x', headers: vectorHeaders(), secrets: [], now: vectorNow }),
    ).toThrow(WebhookSecretError);
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ + base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe('verifyWebhook (GitHub X-Hub-Signature-256)', () => {
  const secret = "It's a Secret to Everybody";
  const body = 'Hello, World!';

  it('matches the example in the GitHub docs', () => {
    expect(signGithubWebhook(secret, body)).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
    expect(signGithubWebhook(secret, body)).toBe(
      `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    );
  });

  it('accepts a valid signature and takes the delivery id as webhook id', () => {
    const result = verifyWebhook({
      scheme: 'github',
      rawBody: body,
      headers: { 'X-Hub-Signature-256': signGithubWebhook(secret, body), 'X-GitHub-Delivery': 'd-1' },
      secrets: [secret],
      now: new Date(),
    });
    expect(result).toEqual({ ok: true, webhookId: 'd-1', timestamp: null });
  });

  it('rejects a tampered body and missing headers', () => {
    const tampered = verifyWebhook({
      scheme: 'github',
      rawBody: `${body}!`,
      headers: { 'X-Hub-Signature-256': signGithubWebhook(secret, body), 'X-GitHub-Delivery': 'd-1' },
      secrets: [secret],
      now: new Date(),
    });
    expect(tampered).toMatchObject({ ok: false, reason: 'bad-signature' });
    const missing = verifyWebhook({
      scheme: 'github',
      rawBody: body,
      headers: {},
      secrets: [secret],
      now: new Date(),
    });
    expect(missing).toMatchObject({ ok: false, reason: 'missing-headers' });
  });
});
