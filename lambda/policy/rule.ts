/**
 * What a rule is: metadata people and auditors read (docs/rules.md, reports, OCSF), and a pure `evaluate` over the
 * tenant snapshot. One rule per file under rules/, in the spirit of cdk-nag.
 */
import type { TenantSnapshot } from '../collect/snapshot';
import type { FindingDraft, Severity, SubjectType } from '../report/model';
import type { PermissionResolver } from './resolver';
import type { Policy } from './schema';
import type { TenantIndex } from './tenant-index';

export interface RuleReference {
  readonly title: string;
  /** Where the page lives: qlik.dev, Qlik Help, Qlik Community. */
  readonly source: string;
}

export interface RuleMetadata {
  readonly id: string;
  /** States the compliant state, e.g. "API-key owners hold the Manage API keys permission". */
  readonly title: string;
  readonly defaultSeverity: Severity;
  /** The subject types a finding of this rule can have. */
  readonly subjectType: readonly SubjectType[];
  readonly description: string;
  readonly risk: string;
  /** The general fix; each finding carries its own, with the real ids and names filled in. */
  readonly remediation: string;
  readonly references: readonly RuleReference[];
  /** Framework → control ids, e.g. `{ 'SOC 2': ['CC6.1'], 'ISO 27001:2022': ['A.5.15'] }`. */
  readonly compliance: Readonly<Record<string, readonly string[]>>;
}

/** A principal someone recorded as a Developer-role holder, in an earlier run's state or elsewhere. */
export interface PrincipalRef {
  readonly id: string;
  readonly name: string;
}

export interface KnownFormerDevelopers {
  readonly users: readonly PrincipalRef[];
  readonly groups: readonly PrincipalRef[];
}

export interface RuleContext {
  readonly snapshot: TenantSnapshot;
  readonly policy: Policy;
  readonly now: Date;
  readonly tenant: TenantIndex;
  readonly access: PermissionResolver;
  readonly knownFormerDevelopers: KnownFormerDevelopers;
}

export interface RuleDefinition {
  readonly metadata: RuleMetadata;
  /** Findings at the rule's default severity; `evaluatePolicy` applies the policy's override. */
  evaluate(context: RuleContext): FindingDraft[];
}

/** The frameworks every built-in rule maps to (docs/architecture.md, "Rule ids"). */
export const SOC2 = 'SOC 2';
export const ISO27001 = 'ISO 27001:2022';
