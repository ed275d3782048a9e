import { App, type AppProps } from 'aws-cdk-lib';
import { addComplianceChecks } from './compliance';
import { type DeployConfig, EXAMPLE_CONFIG_FILE, loadDeployConfig, policyFilePath } from './config';
import { type DeployPolicy, loadDeployPolicy } from './policy-source';
import { QlikAccessGuardStack } from './stack';

export interface BuildAppOptions {
  /**
   * The deploy config file.
   *
   * @default the `config` context value (`cdk synth -c config=path`), else lib/config/example.config.yaml
   */
  readonly configFile?: string;

  /**
   * Props of the CDK app (output folder, extra context). The feature flags in {@link FEATURE_FLAGS} are always set.
   *
   * @default - the CLI's settings
   */
  readonly appProps?: AppProps;

  /**
   * The Lambda handler module (tests that skip bundling pass a stub).
   *
   * @default lambda/handler.ts
   */
  readonly handlerEntry?: string;

  /**
   * The webhook receiver module (tests that skip bundling pass a stub).
   *
   * @default lambda/receiver.ts
   */
  readonly receiverEntry?: string;

  /**
   * The audit poller module (tests that skip bundling pass a stub).
   *
   * @default lambda/poller.ts
   */
  readonly pollerEntry?: string;
}

export interface BuiltApp {
  readonly app: App;
  readonly stack: QlikAccessGuardStack;
  readonly config: DeployConfig;
  readonly configFile: string;
  readonly policy?: DeployPolicy;
}

/**
 * Feature flags the stack relies on, set here as well as in cdk.json so tests and other entry points get them too.
 */
export const FEATURE_FLAGS = {
  // Access-log delivery through a bucket policy: the ACL alternative needs ObjectWriter ownership (ACLs enabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
} as const;

/** The CDK app: config and policy validated, the stack built, cdk-nag registered. */
export async function buildApp(options: BuildAppOptions = {}): Promise<BuiltApp> {
  const app = new App({
    ...options.appProps,
    context: { ...FEATURE_FLAGS, ...options.appProps?.context },
  });
  const configFile =
    options.configFile ?? (app.node.tryGetContext('config') as string | undefined) ?? EXAMPLE_CONFIG_FILE;
  const config = loadDeployConfig(configFile);
  const policyFile = policyFilePath(config, configFile);
  const policy = policyFile ? await loadDeployPolicy(policyFile) : undefined;
  const stack = new QlikAccessGuardStack(app, config.stackName, {
    config,
    ...(policy ? { policy } : {}),
    ...(options.handlerEntry ? { handlerEntry: options.handlerEntry } : {}),
    ...(options.receiverEntry ? { receiverEntry: options.receiverEntry } : {}),
    ...(options.pollerEntry ? { pollerEntry: options.pollerEntry } : {}),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  addComplianceChecks(app);
  return { app, stack, config, configFile, ...(policy ? { policy } : {}) };
}
