/**
 * SDK client settings for an optional local endpoint (dynalite, fauxqs): with `endpoint` set, a
 * region and dummy credentials are filled in when the environment has none; without it, the
 * SDK's defaults apply (the Lambda's region and role).
 */
export function awsClientConfig(endpoint: string | undefined): {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  if (!endpoint) return {};
  return {
    endpoint,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(process.env.AWS_ACCESS_KEY_ID
      ? {}
      : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}
