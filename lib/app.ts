/**
 * CDK entry point (cdk.json): `npx cdk synth -c config=path/to/config.yaml`.
 */
import { CheckError } from '../lambda/errors';
import { buildApp } from './build-app';
import { DeployConfigError } from './config';

try {
  await buildApp();
} catch (error) {
  // A config or policy mistake is the user's to fix: print what and where, not a stack trace.
  if (error instanceof DeployConfigError || error instanceof CheckError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
