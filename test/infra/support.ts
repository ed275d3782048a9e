/**
 * Synthesises the real app (config file → stack → cdk-nag) the way `cdk synth` does, with bundling skipped: the
 * handler is replaced by a stub file, which only has to exist when nothing is bundled.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { type BuiltApp, buildApp } from '../../lib/build-app';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const HANDLER_STUB = join(FIXTURES, 'handler-stub.ts');
export const FULL_CONFIG = join(FIXTURES, 'full.config.yaml');

export interface Synthesised extends BuiltApp {
  readonly assembly: CloudAssembly;
  readonly template: Template;
  readonly json: CfnTemplate;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, any>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export async function synth(configFile: string, options: { bundle?: boolean } = {}): Promise<Synthesised> {
  const built = await buildApp({
    configFile,
    ...(options.bundle ? {} : { handlerEntry: HANDLER_STUB, receiverEntry: HANDLER_STUB, pollerEntry: HANDLER_STUB }),
    appProps: {
      outdir: mkdtempSync(join(tmpdir(), 'qag-infra-')),
      context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
    },
  });
  const assembly = built.app.synth();
  const json = assembly.getStackArtifact(built.stack.artifactId).template as CfnTemplate;
  return { ...built, assembly, template: Template.fromJSON(json), json };
}

/** Writes a config file (and optional sibling files) into a fresh folder; returns the config path. */
export function writeConfig(yaml: string, siblings: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'qag-config-'));
  for (const [name, text] of Object.entries(siblings)) writeFileSync(join(dir, name), text);
  const file = join(dir, 'deploy.config.yaml');
  writeFileSync(file, yaml);
  return file;
}

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

export function onlyResourceOfType(json: CfnTemplate, type: string): [string, CfnResource] {
  const found = resourcesOfType(json, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function idOf(construct: IConstruct): string {
  const element = CfnElement.isCfnElement(construct) ? construct : (construct.node.defaultChild as CfnElement);
  return Stack.of(construct).resolve(element.logicalId) as string;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, any>;
  readonly Principal?: unknown;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every AWS::IAM::Policy attached to the role with the given logical id. */
export function statementsOfRole(json: CfnTemplate, roleLogicalId: string): Statement[] {
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => asArray(p.Properties?.Roles ?? []).some((r: any) => r?.Ref === roleLogicalId))
    .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as Statement[]);
}

/**
 * A CloudFormation value with references replaced by readable placeholders: `{Ref: X}` → `<X>`,
 * `{Fn::GetAtt: [X, Arn]}` → `<X.Arn>`, `{Fn::Join: ['', parts]}` → the joined string.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}
