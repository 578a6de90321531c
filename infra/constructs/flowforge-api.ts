import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageSettings } from '../settings.ts';
import type { FlowForgeFunction } from './flowforge-function.ts';

/** The base path of every route (DESIGN §3). */
export const apiBasePath = '/api/v1';

/** The route key of the signed webhook (unauthenticated: the signature is the authentication). */
export const webhookRouteKey = `POST ${apiBasePath}/hooks/{flowId}/{triggerId}`;

/** Routes that skip the Lambda authorizer, each with the reason a reviewer reads. */
export const publicRoutes: ReadonlyArray<{ method: apigw.HttpMethod; path: string; reason: string }> = [
  { method: apigw.HttpMethod.GET, path: `${apiBasePath}/health`, reason: 'Liveness probe: answers no data.' },
  // HEAD works wherever GET does (DESIGN.md §3).
  {
    method: apigw.HttpMethod.HEAD,
    path: `${apiBasePath}/health`,
    reason: 'Liveness probe: answers no data.',
  },
  {
    method: apigw.HttpMethod.GET,
    path: `${apiBasePath}/openapi.json`,
    reason: 'The public API description: answers no data.',
  },
  {
    method: apigw.HttpMethod.HEAD,
    path: `${apiBasePath}/openapi.json`,
    reason: 'The public API description: answers no data.',
  },
  {
    method: apigw.HttpMethod.POST,
    path: `${apiBasePath}/callbacks/{callbackId}`,
    reason:
      'waitForCallback answers: the unguessable single-use callback id (256 random bits, stored as a SHA-256 digest) is the credential, as in DESIGN.md; the function rate-limits attempts per source address.',
  },
  {
    method: apigw.HttpMethod.POST,
    path: `${apiBasePath}/hooks/{flowId}/{triggerId}`,
    reason:
      'Signed webhooks: the sender has no API key; the function verifies the Standard Webhooks HMAC signature and refuses unsigned or stale requests. The route has its own tighter throttle.',
  },
];

/** Methods of the authorized catch-all route (OPTIONS stays with the CORS preflight, unauthenticated). */
const authorizedMethods = [
  apigw.HttpMethod.GET,
  apigw.HttpMethod.HEAD,
  apigw.HttpMethod.POST,
  apigw.HttpMethod.PUT,
  apigw.HttpMethod.PATCH,
  apigw.HttpMethod.DELETE,
];

export interface FlowForgeApiProps {
  settings: StageSettings;
  /** The one API Lambda behind every route. */
  handler: FlowForgeFunction;
  /** The Lambda authorizer (simple responses, `Authorization` header, cached). */
  authorizer: FlowForgeFunction;
}

/**
 * The HTTP API: `GET|HEAD|POST|PUT|PATCH|DELETE /api/v1/{proxy+}` behind the Lambda authorizer, explicit
 * public routes for health, openapi.json and webhooks, JSON access logs, stage throttling with a
 * tighter limit on the webhook route, CORS from the settings.
 */
export class FlowForgeApi extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FlowForgeApiProps) {
    super(scope, id);
    const { settings } = props;

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `${settings.prefix}-api`,
      description: `FlowForge API (${settings.stage})`,
      createDefaultStage: false,
      corsPreflight:
        settings.corsOrigins.length === 0
          ? undefined
          : {
              allowOrigins: settings.corsOrigins,
              allowMethods: [
                apigw.CorsHttpMethod.GET,
                apigw.CorsHttpMethod.POST,
                apigw.CorsHttpMethod.PUT,
                apigw.CorsHttpMethod.PATCH,
                apigw.CorsHttpMethod.DELETE,
                apigw.CorsHttpMethod.OPTIONS,
              ],
              allowHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key'],
              exposeHeaders: ['etag', 'location'],
              maxAge: Duration.hours(1),
            },
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${settings.prefix}-api`,
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttling,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            tenant: '$context.authorizer.tenant',
          }),
        ),
      },
    });
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    // RouteSettings is an untyped JSON map in the L1: CloudFormation's own capitalized names.
    cfnStage.routeSettings = {
      [webhookRouteKey]: {
        ThrottlingRateLimit: settings.webhookThrottling.rateLimit,
        ThrottlingBurstLimit: settings.webhookThrottling.burstLimit,
      },
    };

    const integration = new HttpLambdaIntegration('ApiIntegration', props.handler.function);
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', props.authorizer.function, {
      authorizerName: `${settings.prefix}-api-key`,
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.seconds(60),
    });

    this.httpApi.addRoutes({
      path: `${apiBasePath}/{proxy+}`,
      methods: authorizedMethods,
      integration,
      authorizer,
    });
    for (const route of publicRoutes) {
      for (const created of this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
      })) {
        Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason: route.reason });
        // The stage's route settings name the webhook route: CloudFormation must create it first.
        if (`${route.method} ${route.path}` === webhookRouteKey) this.stage.node.addDependency(created);
      }
    }
  }

  /** The API's base URL including `/api/v1`. */
  get baseUrl(): string {
    return `${this.httpApi.apiEndpoint}${apiBasePath}`;
  }
}
