import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

/**
 * The Express record path of the AWS state-machine adapter (`FLOWFORGE_EXPRESS_LOG_GROUP_ARN`, bound
 * with `logs:FilterLogEvents` on that group), for the functions that read executions.
 */
export function expressLogsFromEnv(): {
  expressLogs?: { client: CloudWatchLogsClient; logGroupArn: string };
} {
  const logGroupArn = process.env.FLOWFORGE_EXPRESS_LOG_GROUP_ARN;
  return logGroupArn ? { expressLogs: { client: new CloudWatchLogsClient({}), logGroupArn } } : {};
}
