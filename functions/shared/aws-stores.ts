import type { ServiceLogger } from '../../lib/service/deps.ts';
import { createDocumentClient } from '../../lib/store/client.ts';
import { createStores, type StoreSet } from '../../lib/store/index.ts';
import { logger } from './logger.ts';

// What every function needs — the environment, the logger and the stores — without the clients
// only the API uses (SFN, Scheduler, SSM) or the compiler: the authorizer imports this alone, so its
// cold start loads the DynamoDB client and nothing else of the SDK.

/** The structured logger every handler shares. */
export const awsLogger: ServiceLogger = {
  info: (message, extra) => logger.info(message, extra ?? {}),
  warn: (message, extra) => logger.warn(message, extra ?? {}),
  error: (message, extra) => logger.error(message, extra ?? {}),
};

/** A deployment setting that is missing or malformed. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** A required environment variable (ConfigurationError when it is missing or empty). */
export const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
};

let stores: StoreSet | undefined;

/** The stores alone (the authorizer needs only the API keys). */
export function awsStores(): StoreSet {
  stores ??= createStores(createDocumentClient(), env('FLOWFORGE_TABLE_NAME'));
  return stores;
}
