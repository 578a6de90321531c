import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'flowforge';

export { logger } from './logger.ts';

/** The Lambda's metrics, flushed as EMF (namespace `POWERTOOLS_METRICS_NAMESPACE`, default `FlowForge`). */
export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'FlowForge',
});

/** The Lambda's X-Ray tracer (disabled outside Lambda or with `POWERTOOLS_TRACE_ENABLED=false`). */
export const tracer = new Tracer({ serviceName });
