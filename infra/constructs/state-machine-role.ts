import { Aws, CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcard, deploymentArn, nagArn } from './arns.ts';
import type { FlowForgeFunction } from './flowforge-function.ts';

export interface StateMachineRoleProps {
  /** The action functions: the only functions a compiled machine may invoke. */
  actionFunctions: readonly FlowForgeFunction[];
  /**
   * The role's fixed name (`<prefix>-state-machines`): machines created at run time point at the
   * role by ARN, so a replaced stateless stack must recreate the same ARN, never a generated one.
   */
  roleName: string;
  /**
   * What a forEach's Distributed Map needs (docs/aws-parity.md, forEach): start, describe and stop
   * its child executions (the machines `<prefix>-*` run their own children) and read the list from
   * and write the results to the payload bucket.
   */
  distributedMap?: { stateMachinePrefix: string; payloadBucketName: string };
}

/** The actions Step Functions needs to deliver execution logs (vended logs have no resource-level rights). */
const logDeliveryActions = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/**
 * The execution role of every state machine the API creates at run time: it may invoke exactly the
 * action functions (and their versions and aliases), send traces to X-Ray and deliver execution logs.
 */
export class StateMachineRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StateMachineRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      // Confused-deputy guard: only Step Functions acting for this account may assume it.
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Execution role of the FlowForge state machines: invokes the action Lambdas only.',
    });
    const functionArns = props.actionFunctions.map((fn) => fn.function.functionArn);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeActionFunctions',
        actions: ['lambda:InvokeFunction'],
        resources: [...functionArns, ...functionArns.map((arn) => `${arn}:*`)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Tracing',
        actions: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        resources: ['*'],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'LogDelivery', actions: logDeliveryActions, resources: ['*'] }),
    );
    acknowledgeWildcard(
      this.role,
      '*',
      'X-Ray trace upload and CloudWatch Logs vended-log delivery (Create/Get/Update/Delete/ListLogDeliveries, DescribeLogGroups, resource policies) have no resource-level permissions; Step Functions documents exactly these actions on "*".',
    );
    if (props.distributedMap) this.allowDistributedMaps(props.distributedMap);
    for (const fn of props.actionFunctions) {
      const cfnFunction = fn.function.node.defaultChild;
      if (!(cfnFunction instanceof CfnElement)) continue;
      acknowledgeWildcard(
        this.role,
        `<${Stack.of(cfnFunction).getLogicalId(cfnFunction)}.Arn>:*`,
        `Versions and aliases of the ${fn.functionName} action function (function:name:* qualifies that one function only).`,
      );
    }
  }

  /** Distributed Map rights (Step Functions' documented set for ItemReader, ResultWriter and child executions). */
  private allowDistributedMaps(options: { stateMachinePrefix: string; payloadBucketName: string }): void {
    const machines = `stateMachine:${options.stateMachinePrefix}-*`;
    const executions = `execution:${options.stateMachinePrefix}-*:*`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapChildren',
        actions: ['states:StartExecution'],
        resources: [deploymentArn('states', machines)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapChildExecutions',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [deploymentArn('states', executions)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DistributedMapPayloads',
        actions: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [`arn:${Aws.PARTITION}:s3:::${options.payloadBucketName}/*`],
      }),
    );
    acknowledgeWildcard(
      this.role,
      nagArn('states', machines),
      'A forEach Distributed Map starts child executions of its own machine; machines are created at run time with this deployment prefix.',
    );
    acknowledgeWildcard(
      this.role,
      nagArn('states', executions),
      'Child executions of the Distributed Maps (their names are generated per item by Step Functions).',
    );
    const printed = options.payloadBucketName
      .replace(Aws.ACCOUNT_ID, '<AWS::AccountId>')
      .replace(Aws.REGION, '<AWS::Region>');
    acknowledgeWildcard(
      this.role,
      `arn:<AWS::Partition>:s3:::${printed}/*`,
      'Objects of the one payload bucket: a forEach list (ItemReader) and its results (ResultWriter), keys made at run time.',
    );
  }
}
