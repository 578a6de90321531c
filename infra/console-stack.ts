import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import type { StageSettings } from './settings.ts';
import type { StatelessStack } from './stateless-stack.ts';

/** Acknowledges cdk-nag findings on `scope` and everything under it, each with the reason a reviewer reads. */
const acknowledge = (scope: Construct, findings: Array<{ id: string; reason: string }>) => {
  for (const finding of findings) Validations.of(scope).acknowledge(finding);
};

/** The built console (`npm run console:build`); a placeholder page is deployed when it is missing. */
export const CONSOLE_DIST = fileURLToPath(new URL('../console/dist/', import.meta.url));

/** The Content-Security-Policy of the console, the same as `npm start` sends (lib/local/console-files.ts). */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export interface ConsoleStackProps extends StackProps {
  settings: StageSettings;
  stateless: StatelessStack;
}

/**
 * The web console: its files in a private S3 bucket (no public access, TLS only, encrypted, read by
 * CloudFront alone through Origin Access Control), one CloudFront distribution with a security
 * headers policy, and `/api/*` routed by the same distribution to the HTTP API (caching disabled, every
 * viewer header but Host forwarded, Authorization included), so the console talks to its own origin: no
 * CORS, `connect-src 'self'`. `config.json` beside the files tells the console where the API is.
 */
export class ConsoleStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const autoDelete = settings.removalPolicy === RemovalPolicy.DESTROY;

    const logs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: settings.removalPolicy,
      autoDeleteObjects: autoDelete,
    });
    acknowledge(logs, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket itself; logging it into itself would loop.',
      },
    ]);

    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: settings.removalPolicy,
      autoDeleteObjects: autoDelete,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `${settings.prefix}-console-security`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.stateless.api.httpApi.apiEndpoint));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `FlowForge console (${settings.stage})`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
      },
      additionalBehaviors: {
        'api/*': {
          origin: new origins.HttpOrigin(apiDomain, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: true,
        },
      },
    });
    acknowledge(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'The console is for every region the operator works from; access is by API key, not by geography.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL by default (cost); the API behind /api/* has API Gateway throttling and per-key rate limits.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses the default *.cloudfront.net certificate, whose security policy CloudFront fixes; a custom domain with its own certificate (and TLSv1.2_2021) is a deployment choice outside this app.',
      },
    ]);

    new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      sources: [
        existsSync(`${CONSOLE_DIST}index.html`)
          ? s3deploy.Source.asset(CONSOLE_DIST)
          : s3deploy.Source.data(
              'index.html',
              '<!doctype html><title>FlowForge</title><p>The console was not built: run npm run console:build and deploy again.</p>',
            ),
        // Same origin: the distribution routes /api/* to the HTTP API.
        s3deploy.Source.jsonData('config.json', { apiUrl: '' }),
      ],
      memoryLimit: 256,
    });
    // The BucketDeployment custom resource (CDK's own Lambda): it copies the asset into this bucket and
    // invalidates this distribution; these are the grants aws-cdk-lib writes for that, on those resources.
    const deployment = 'BucketDeployment (CDK custom resource)';
    acknowledge(this, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: `${deployment}: CDK attaches the basic execution role for its own log group.`,
      },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${deployment}: reads the console's asset from the CDK assets bucket (read actions only).`,
      })),
      ...['s3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${deployment}: replaces old console files in this stack's own console bucket.`,
      })),
      {
        // As cdk-nag renders it: with tokens in an environment-agnostic synth, literally with a concrete env.
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${
          Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account
        }-${Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region}/*]`,
        reason: `${deployment}: the asset objects live in the CDK bootstrap assets bucket of this account and region.`,
      },
      {
        id: 'AwsSolutions-IAM5[Resource::<Files8E6940B8.Arn>/*]',
        reason: `${deployment}: objects of this stack's console bucket only.`,
      },
      {
        id: 'AwsSolutions-L1',
        reason: `${deployment}: its Python runtime is chosen by aws-cdk-lib, not by this app.`,
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `${deployment}: cloudfront:CreateInvalidation/GetInvalidation take no resource-level restriction in CDK's grant.`,
      },
    ]);

    new CfnOutput(this, 'ConsoleUrl', {
      value: `https://${this.distribution.distributionDomainName}/`,
      description: 'The FlowForge web console (sign in with an API key)',
    });
  }
}
