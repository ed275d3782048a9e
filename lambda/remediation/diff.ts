/**
 * The plan as a reviewer reads it, `terraform plan` style: per tenant, `+ create role "…" (scopes …)`,
 * `+ role "…" → user …`, `- role "Developer" ← user …`, and the notes on what was not planned. Every tenant string
 * (names, ids) goes through lambda/util/tenant-text.ts: one inert line, length-capped (docs/tenant-text.md).
 */
import { tenantText } from '../util/tenant-text';
import { plural } from '../util/text';
import type { PlanAction, RemediationPlan } from './plan-file';

const NAME_MAX = 80;
const NOTE_MAX = 300;

const safe = (text: string, max = NAME_MAX) => tenantText(text, max);

export function describeAction(action: PlanAction): string {
  const role = `role "${safe(action.role.name)}"`;
  const user = `user ${safe(action.target.name)} (${safe(action.target.id, 40)})`;
  switch (action.kind) {
    case 'create-role': {
      const scopes = 'role' in action.after ? action.after.role.assignedScopes.map((s) => safe(s, 60)).join(', ') : '';
      return `+ create ${role} (scopes ${scopes})`;
    }
    case 'assign-role-to-user':
      return `+ ${role} → ${user}`;
    case 'remove-developer-role':
      return `- ${role} ← ${user}`;
  }
}

export function renderPlanDiff(plan: RemediationPlan, planFile: string): string {
  const lines: string[] = [
    `Plan ${plan.planId} — policy "${safe(plan.policy.name)}", scope "${safe(plan.scope, 60)}", expires ${plan.expiresAt}`,
  ];
  let changes = 0;
  for (const tenant of plan.tenants) {
    lines.push('', `tenant ${safe(tenant.name)} (${safe(tenant.tenantUrl, 200)}, ${safe(tenant.tenantId, 64)}):`);
    if (tenant.actions.length === 0) lines.push('  (no changes)');
    for (const action of tenant.actions) {
      const resolves = action.resolves.length > 0 ? `   resolves ${plural(action.resolves.length, 'finding')}` : '';
      lines.push(`  ${describeAction(action)}${resolves}`);
    }
    for (const note of tenant.notes) lines.push(`  ! ${safe(note, NOTE_MAX)}`);
    changes += tenant.actions.length;
  }
  lines.push(
    '',
    `${plural(changes, 'change')} in ${plural(plan.tenants.length, 'tenant')}; nothing was changed.`,
    changes > 0 ? `Review, then apply: qlik-access-guard fix --apply ${safe(planFile, 300)}` : 'Nothing to apply.',
  );
  return `${lines.join('\n')}\n`;
}
