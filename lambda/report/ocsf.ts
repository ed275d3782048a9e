/**
 * Findings as OCSF Compliance Finding events (class_uid 2003, category Findings), one JSON object per line, for SIEMs
 * and security lakes.
 *
 * Mapping choices:
 * - every finding becomes an event: failing, errored, suppressed and resolved. activity_id follows the finding's life:
 *   Create (1) when new, Close (3) when resolved, Update (2) otherwise (ongoing, reopened).
 * - status_id is the finding's review state: New (1) for new and reopened, In Progress (2) for ongoing, Suppressed (3)
 *   under an exception, Resolved (4) when resolved.
 * - compliance.status_id is the control's result: Fail (3) for failing and suppressed findings (an exception accepts
 *   the risk, it does not make the control pass), Pass (1) for resolved ones, Warning (2) when the rule could not
 *   reach a result (status "error").
 * - a tenant that could not be checked gets one event per error, with compliance status Warning, so a SIEM sees the
 *   gap instead of silence. Its uid is per run: nothing would ever close a per-tenant one.
 * - time is when this run finished; first and last seen times of the finding are in finding_info.
 * - fields OCSF has no place for (drift, tenant URL, run, policy, exception) are under `unmapped`.
 */
import { createHash } from 'node:crypto';
import type { CheckErrorCode } from '../errors';
import { FIX_MAX, PROSE_MAX, safeJson, safeLines, tenantText } from '../util/tenant-text';
import { bigintAsText } from './json';
import type { Finding, ReportError, RunReport, Severity, SubjectType, TenantReport } from './model';
import { ERROR_CODE_HINTS, ERROR_CODE_TITLES, NOT_CHECKED_STATEMENT } from './tenant-errors';

export const OCSF_SCHEMA_VERSION = '1.3.0';
export const OCSF_CLASS_UID = 2003 as const;
export const OCSF_CATEGORY_UID = 2 as const;
const PRODUCT_NAME = 'qlik-access-guard';

/** Every rule of this tool checks logical access; these are the standards it maps to when a rule names none. */
export const DEFAULT_STANDARDS = ['SOC 2', 'ISO 27001:2022'] as const;

export interface OcsfOptions {
  /** Product version in metadata.product; defaults to the report's tool version. */
  readonly productVersion?: string;
}

export const OCSF_SEVERITY: Record<Severity, { id: 1 | 2 | 3 | 4 | 5; caption: string }> = {
  informational: { id: 1, caption: 'Informational' },
  low: { id: 2, caption: 'Low' },
  medium: { id: 3, caption: 'Medium' },
  high: { id: 4, caption: 'High' },
  critical: { id: 5, caption: 'Critical' },
};

const ACTIVITY = {
  create: { id: 1, caption: 'Create' },
  update: { id: 2, caption: 'Update' },
  close: { id: 3, caption: 'Close' },
} as const;
const FINDING_STATUS = {
  new: { id: 1, caption: 'New' },
  inProgress: { id: 2, caption: 'In Progress' },
  suppressed: { id: 3, caption: 'Suppressed' },
  resolved: { id: 4, caption: 'Resolved' },
} as const;
const COMPLIANCE_STATUS = {
  pass: { id: 1, caption: 'Pass' },
  warning: { id: 2, caption: 'Warning' },
  fail: { id: 3, caption: 'Fail' },
} as const;

const RESOURCE_TYPES: Record<SubjectType, string> = {
  user: 'Qlik Cloud User',
  group: 'Qlik Cloud Group',
  apiKey: 'Qlik Cloud API Key',
  role: 'Qlik Cloud Role',
  tenant: 'Qlik Cloud Tenant',
};

type Captioned = { readonly id: number; readonly caption: string };

/** The subset of the OCSF 1.3.0 Compliance Finding class this tool fills. */
export interface OcsfComplianceFinding {
  activity_id: number;
  activity_name: string;
  category_uid: typeof OCSF_CATEGORY_UID;
  category_name: 'Findings';
  class_uid: typeof OCSF_CLASS_UID;
  class_name: 'Compliance Finding';
  type_uid: number;
  type_name: string;
  time: number;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  status_detail?: string;
  message: string;
  compliance: {
    standards: string[];
    requirements?: string[];
    control: string;
    status_id: number;
    status: string;
    status_detail?: string;
  };
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    types: string[];
    created_time?: number;
    first_seen_time?: number;
    last_seen_time?: number;
  };
  metadata: {
    version: string;
    product: { name: string; vendor_name: string; version: string };
    uid: string;
    correlation_uid: string;
    tenant_uid: string;
    event_code: string;
  };
  resources: { uid: string; name: string; type: string; data?: Record<string, unknown> }[];
  remediation?: { desc: string };
  unmapped: Record<string, unknown>;
}

function millis(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function activityOf(finding: Finding): Captioned {
  if (finding.drift === 'resolved') return ACTIVITY.close;
  return finding.drift === 'new' ? ACTIVITY.create : ACTIVITY.update;
}

function findingStatusOf(finding: Finding): Captioned {
  if (finding.drift === 'resolved') return FINDING_STATUS.resolved;
  if (finding.status === 'suppressed') return FINDING_STATUS.suppressed;
  return finding.drift === 'ongoing' ? FINDING_STATUS.inProgress : FINDING_STATUS.new;
}

function complianceStatusOf(finding: Finding): Captioned {
  if (finding.drift === 'resolved') return COMPLIANCE_STATUS.pass;
  return finding.status === 'error' ? COMPLIANCE_STATUS.warning : COMPLIANCE_STATUS.fail;
}

function statusDetailOf(finding: Finding): string | undefined {
  const exception = finding.exception;
  if (!exception) return undefined;
  const until = exception.expires ? ` until ${exception.expires}` : ' without an end date';
  if (finding.status === 'suppressed' && finding.drift !== 'resolved') {
    return prose(`Suppressed by an exception owned by ${exception.owner}${until}: ${exception.reason}`);
  }
  if (exception.expired) {
    const when = exception.expires ?? 'no date';
    return prose(`Reopened: the exception owned by ${exception.owner} expired (${when}): ${exception.reason}`);
  }
  return undefined;
}

/**
 * Fields a SIEM shows as prose (message, title, description, fix, status detail) carry safe text; ids, names,
 * evidence and `unmapped` keep the tenant's exact values (JSON-escaped by {@link jsonLine}) for correlation.
 */
function prose(text: string): string {
  return tenantText(text, PROSE_MAX);
}

function defined<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

/** The fields that open every event: what it is (class and activity) and when (the run's end). */
function eventHeader(report: RunReport, activity: Captioned) {
  return {
    activity_id: activity.id,
    activity_name: activity.caption,
    category_uid: OCSF_CATEGORY_UID,
    category_name: 'Findings' as const,
    class_uid: OCSF_CLASS_UID,
    class_name: 'Compliance Finding' as const,
    type_uid: OCSF_CLASS_UID * 100 + activity.id,
    type_name: `Compliance Finding: ${activity.caption}`,
    time: millis(report.finishedAt) ?? 0,
  };
}

function commonParts(report: RunReport, tenant: TenantReport, options: OcsfOptions) {
  return {
    product: { name: PRODUCT_NAME, vendor_name: PRODUCT_NAME, version: options.productVersion ?? report.tool.version },
    unmapped: defined({
      run_id: report.runId,
      tenant_url: tenant.tenantUrl,
      tenant_name: tenant.tenantName,
      policy: { name: report.policy.name, sha256: report.policy.sha256 },
      report_location: tenant.reportLocation,
    }),
  };
}

export function findingToOcsf(
  report: RunReport,
  tenant: TenantReport,
  finding: Finding,
  options: OcsfOptions = {},
): OcsfComplianceFinding {
  const common = commonParts(report, tenant, options);
  const activity = activityOf(finding);
  const status = findingStatusOf(finding);
  const complianceStatus = complianceStatusOf(finding);
  const severity = OCSF_SEVERITY[finding.severity];
  const mapped = finding.compliance ? Object.entries(finding.compliance) : [];
  const standards = mapped.length > 0 ? mapped.map(([standard]) => standard) : [...DEFAULT_STANDARDS];
  const requirements = mapped.flatMap(([standard, controls]) => controls.map((control) => `${standard} ${control}`));
  const statusDetail = statusDetailOf(finding);
  return {
    ...eventHeader(report, activity),
    severity_id: severity.id,
    severity: severity.caption,
    status_id: status.id,
    status: status.caption,
    ...(statusDetail ? { status_detail: statusDetail } : {}),
    message: prose(finding.message),
    compliance: defined({
      standards,
      requirements: requirements.length > 0 ? requirements : undefined,
      control: finding.ruleId,
      status_id: complianceStatus.id,
      status: complianceStatus.caption,
      status_detail: finding.status === 'error' ? 'The rule could not reach a result for this subject.' : undefined,
    }),
    finding_info: defined({
      uid: finding.id,
      title: prose(finding.title),
      desc: prose(finding.message),
      types: ['Access Control', finding.ruleId],
      created_time: millis(finding.firstSeen),
      first_seen_time: millis(finding.firstSeen),
      last_seen_time: millis(finding.lastSeen),
    }),
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      product: common.product,
      uid: `${finding.id}:${report.runId}`,
      correlation_uid: report.runId,
      tenant_uid: finding.tenantId,
      event_code: finding.ruleId,
    },
    resources: [
      {
        uid: finding.subject.id,
        name: finding.subject.name,
        type: RESOURCE_TYPES[finding.subject.type],
        data: finding.evidence,
      },
    ],
    remediation: { desc: safeLines(finding.remediation, FIX_MAX) },
    unmapped: defined({
      ...common.unmapped,
      drift: finding.drift,
      finding_status: finding.status,
      subject_type: finding.subject.type,
      exception: finding.exception,
    }),
  };
}

/** Stable per tenant, run and error code, so a re-delivered run file does not double-count in a SIEM. */
function errorUid(report: RunReport, tenant: TenantReport, code: CheckErrorCode): string {
  const digest = createHash('sha256').update(`${tenant.tenantId}\u0000${report.runId}\u0000${code}`).digest('hex');
  return `qag-error-${digest.slice(0, 20)}`;
}

export function tenantErrorToOcsf(
  report: RunReport,
  tenant: TenantReport,
  error: ReportError,
  options: OcsfOptions = {},
): OcsfComplianceFinding {
  const common = commonParts(report, tenant, options);
  const severity = OCSF_SEVERITY.high;
  const uid = errorUid(report, tenant, error.code);
  const title = `Tenant could not be checked: ${ERROR_CODE_TITLES[error.code] ?? error.code}`;
  const header = eventHeader(report, ACTIVITY.create);
  return {
    ...header,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: FINDING_STATUS.new.id,
    status: FINDING_STATUS.new.caption,
    status_detail: NOT_CHECKED_STATEMENT,
    message: prose(error.message),
    compliance: {
      standards: [...DEFAULT_STANDARDS],
      control: 'tenant-check',
      status_id: COMPLIANCE_STATUS.warning.id,
      status: COMPLIANCE_STATUS.warning.caption,
      status_detail: NOT_CHECKED_STATEMENT,
    },
    finding_info: defined({
      uid,
      title,
      desc: prose(error.message),
      types: ['Checker Health', error.code],
      created_time: header.time,
      first_seen_time: millis(report.startedAt),
      last_seen_time: header.time,
    }),
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      product: common.product,
      uid: `${uid}:${report.runId}`,
      correlation_uid: report.runId,
      tenant_uid: tenant.tenantId,
      event_code: `error:${error.code}`,
    },
    resources: [{ uid: tenant.tenantId, name: tenant.tenantName ?? tenant.tenantUrl, type: RESOURCE_TYPES.tenant }],
    remediation: { desc: ERROR_CODE_HINTS[error.code] ?? '' },
    unmapped: { ...common.unmapped, error_code: error.code },
  };
}

/** Every event of the run, in report order: per tenant its errors, then current findings, then resolved ones. */
export function toOcsfFindings(report: RunReport, options: OcsfOptions = {}): OcsfComplianceFinding[] {
  return report.tenants.flatMap((tenant) => [
    ...tenant.errors.map((error) => tenantErrorToOcsf(report, tenant, error, options)),
    ...tenant.findings.map((finding) => findingToOcsf(report, tenant, finding, options)),
    ...tenant.resolved.map((finding) => findingToOcsf(report, tenant, finding, options)),
  ]);
}

/**
 * JSON allows U+2028, U+2029, NEL and bidi controls raw inside strings, but some line readers split on the first three
 * and viewers reorder text at the last: all are written as `\u` escapes, so an event stays on one line and its values
 * are still exactly the tenant's.
 */
function jsonLine(event: OcsfComplianceFinding): string {
  return safeJson(event, bigintAsText);
}

/** JSON Lines: one event per line, each line valid JSON on its own, every line ending with a newline. */
export function renderOcsf(report: RunReport, options: OcsfOptions = {}): string {
  return toOcsfFindings(report, options)
    .map((event) => `${jsonLine(event)}\n`)
    .join('');
}
