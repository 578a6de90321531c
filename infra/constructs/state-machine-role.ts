import { CfnElement, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcard } from './arns.ts';
import type { FlowForgeFunction } from './flowforge-function.ts';

export interface StateMachineRoleProps {
  /** The action functions: the only functions a compiled machine may invoke. */
  actionFunctions: readonly FlowForgeFunction[];
  /**
   * The role's fixed name (`<prefix>-state-machines`): machines created at run time point at the
   * role by ARN, so a replaced stateless stack must recreate the same ARN, never a generated one.
   */
  roleName: string;
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
}
