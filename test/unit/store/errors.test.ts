import { describe, expect, it } from 'vitest';
import {
  NotFoundError,
  StoreError,
  StoreUnavailableError,
  translateSdkError,
} from '../../../lib/store/errors.ts';

const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 }, $fault: 'client', ...extra });

describe('translateSdkError', () => {
  it('makes throttling, 5xx and network failures StoreUnavailableError with the cause', () => {
    const throttled = sdkError('ProvisionedThroughputExceededException');
    const translated = translateSdkError(throttled, 'reading');
    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect(translated.cause).toBe(throttled);
    expect(translateSdkError(sdkError('InternalServerError', { $fault: 'server' }), 'x')).toBeInstanceOf(
      StoreUnavailableError,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(translateSdkError(refused, 'x')).toBeInstanceOf(StoreUnavailableError);
  });

  it('keeps refused requests a plain StoreError and passes store errors through', () => {
    const translated = translateSdkError(sdkError('ValidationException'), 'x');
    expect(translated).toBeInstanceOf(StoreError);
    expect(translated).not.toBeInstanceOf(StoreUnavailableError);
    const notFound = new NotFoundError('gone');
    expect(translateSdkError(notFound, 'x')).toBe(notFound);
  });
});
