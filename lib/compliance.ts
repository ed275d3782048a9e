import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

/**
 * Runs the cdk-nag AWS Solutions and Serverless packs on every synth. Any finding that is not acknowledged (with a
 * reason, next to the construct it is about) fails the synth.
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
    new ServerlessChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
}
