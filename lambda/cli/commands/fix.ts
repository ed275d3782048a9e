/**
 * `qlik-access-guard fix`: from findings to a reviewed change, `terraform plan` / `apply` style. Without `--apply` it
 * runs a check (every option of `check`), writes a plan and prints its diff, changing nothing; `--apply <plan>`
 * applies a plan, records it in the archive and re-checks the tenants it touched. The work is in ../fix-run.ts and
 * lambda/remediation/, loaded only when the command runs.
 */
import { type CliOptions, defineCommand } from '../command';
import { CHECK_OPTIONS } from './check';

export const FIX_OPTIONS = {
  ...CHECK_OPTIONS,
  plan: {
    type: 'string',
    value: 'file',
    help: 'where to write the plan (default <out>/plans/<plan id>.json); with --json the plan is printed too',
  },
  'create-role-scope': {
    type: 'string',
    value: 'scope',
    help: 'confirm the scope of a role to create when no role of the tenant carries it yet',
  },
  apply: { type: 'string', value: 'plan file', help: 'apply this plan instead of making one' },
  bucket: {
    type: 'string',
    value: 'name',
    help: "with --apply: record the apply in the tenant's chain in this S3 bucket (the deployed checker's archive)",
  },
  'max-changes': {
    type: 'string',
    value: 'n',
    help: 'with --apply: refuse a tenant whose plan has more changes than this (default 25; 0 refuses every change)',
  },
} as const satisfies CliOptions;

export const fixCommand = defineCommand({
  name: 'fix',
  summary: 'plan the Manage API keys fix for failing key owners, or apply a reviewed plan',
  usage: `fix (--tenant <url> … | --tenants-file <file> | --apply <plan file>) [options]`,
  details: `fix --tenant <url> … [--plan <file>] [--create-role-scope <scope>] [every option of check]
fix --apply <plan file> [--bucket <name>] [--max-changes <n>] [--tenants-file <file>] [--out <dir>] [--state <dir>]

Without --apply: checks the tenants, writes a plan (expires in 24 h) and prints what it would change;
nothing is changed. Owners failing api-key-owner-lacks-manage-permission get a role carrying the policy's
remediation.scope; nothing else is ever removed or touched (see the README's "Fix" section).

--apply: re-reads each principal, refuses an action whose principal changed since the plan, writes the rest
(TenantAdmin credential needed), records the apply in the archive and re-checks the tenants it touched.
The apply is recorded in the --out archive, or with --bucket <name> in the tenant's chain in that S3 bucket
(a plan stored by the deployed checker: the bucket it came from), so verify/evidence --bucket cover it.

Exit codes: plan: 0 a plan was written; 2 a tenant could not be checked or bad input.
--apply: 0 every action applied or already in place and its findings resolved; 1 an action refused or failed,
or a targeted finding still fails; 2 the plan cannot be used (unreadable, altered, expired, wrong tenant), a
tenant could not be reached, or an apply could not be recorded (the output says what was applied).`,
  options: FIX_OPTIONS,
  async run({ values }, io) {
    const { runFix } = await import('../fix-run');
    return runFix(values, io);
  },
});
