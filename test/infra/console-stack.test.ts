import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../infra/console-stack.ts';
import { CONSOLE_SECURITY_HEADERS } from '../../lib/local/console-files.ts';
import { resourcesOf, type Synthesized, synthFlowForge } from './synth-flowforge.ts';

describe('the web console stack (S3 + CloudFront)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthFlowForge({ stage: 'dev' });
  });

  it('keeps the files in a private, encrypted, TLS-only bucket that only this distribution reads (OAC)', () => {
    const template = synth.consoleTemplate;
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/' }),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    const policies = JSON.stringify(resourcesOf(template, 'AWS::S3::BucketPolicy'));
    expect(policies).toContain('cloudfront.amazonaws.com');
    expect(policies).toContain('AWS:SourceArn');
    expect(policies).toContain('aws:SecureTransport');
    expect(policies).not.toMatch(/"Principal":\s*"\*"[^}]*"Effect":\s*"Allow"/);
    const distribution = Object.values(resourcesOf(template, 'AWS::CloudFront::Distribution'))[0];
    const config = distribution?.Properties?.DistributionConfig as {
      Origins: Array<{ S3OriginConfig?: { OriginAccessIdentity: string }; OriginAccessControlId?: unknown }>;
      DefaultRootObject: string;
    };
    const s3Origin = config.Origins.find((origin) => origin.S3OriginConfig);
    expect(s3Origin?.OriginAccessControlId).toBeDefined();
    expect(s3Origin?.S3OriginConfig?.OriginAccessIdentity).toBe('');
    expect(config.DefaultRootObject).toBe('index.html');
  });

  it('sends the same security headers as npm start: CSP, HSTS, nosniff, frame DENY, no referrer', () => {
    expect(CONSOLE_CSP).toBe(CONSOLE_SECURITY_HEADERS['content-security-policy']);
    synth.consoleTemplate.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000, Override: true }),
        }),
      }),
    });
    synth.consoleTemplate.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          ResponseHeadersPolicyId: Match.anyValue(),
        }),
      }),
    });
  });

  it('routes /api/* to the HTTP API uncached with the viewer headers (Authorization) forwarded', () => {
    synth.consoleTemplate.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [
          Match.objectLike({
            PathPattern: 'api/*',
            ViewerProtocolPolicy: 'https-only',
            AllowedMethods: Match.arrayWith(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
            // The managed CachingDisabled and AllViewerExceptHostHeader policies.
            CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
            OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
          }),
        ],
        Origins: Match.arrayWith([
          Match.objectLike({ CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }) }),
        ]),
      }),
    });
    const origins = JSON.stringify(synth.consoleTemplate.toJSON());
    expect(origins).toContain('HttpApi');
  });

  it('deploys the built files with a config.json that points the console at its own origin', () => {
    const deployments = Object.values(resourcesOf(synth.consoleTemplate, 'Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    const properties = deployments[0]?.Properties as {
      SourceObjectKeys?: unknown[];
      DistributionPaths?: string[];
    };
    // The console's files and the generated config.json.
    expect(properties.SourceObjectKeys).toHaveLength(2);
    expect(properties.DistributionPaths).toEqual(['/index.html', '/config.json']);
    synth.consoleTemplate.hasOutput('ConsoleUrl', Match.objectLike({ Value: Match.anyValue() }));
  });
});
