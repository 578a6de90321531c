import { Logger } from '@aws-lambda-powertools/logger';

/** The Lambda's one structured logger (level from `POWERTOOLS_LOG_LEVEL`). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'flowforge' });
