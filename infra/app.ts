import { App } from 'aws-cdk-lib';
import { buildFlowForge } from './build-app.ts';

// The CDK app (`cdk.json` runs it): `npx cdk synth|deploy --all -c stage=dev|prod`.
const app = new App();
buildFlowForge(app);
app.synth();
