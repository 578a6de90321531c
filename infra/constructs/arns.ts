import { Aws, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * An ARN in this deployment's partition, region and account, always written with the pseudo
 * parameters (also when the stack has a concrete environment), so the text cdk-nag reports for it —
 * see `nagArn` — is the same everywhere.
 */
export const deploymentArn = (service: string, resource: string): string =>
  `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;

/** How cdk-nag prints `deploymentArn(service, resource)` in a finding. */
export const nagArn = (service: string, resource: string): string =>
  `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;

/**
 * Acknowledges cdk-nag's IAM5 finding for one wildcard resource on `scope`, with the reason a
 * reviewer reads (`resource` as cdk-nag prints it: `nagArn(…)`, `<LogicalId.Arn>/index/*`, `*`).
 */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}
