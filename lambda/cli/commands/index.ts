/**
 * The CLI's commands, in the order `qlik-access-guard --help` lists them.
 *
 * How to add a command:
 * 1. Create `lambda/cli/commands/<name>.ts` exporting `export const <name>Command = defineCommand({ name, summary,
 *    usage, details?, options, run })` (see `../command.ts`). Build `options` from the shared groups in `../options.ts`
 *    (`TENANT_OPTIONS`, `OUTPUT_OPTIONS`, `ARCHIVE_OPTIONS`, `POLICY_OPTIONS`, `JSON_OPTION`; or `CHECK_OPTIONS` from
 *    `./check.ts` with `readCheckSettings` from `../check-run.ts` for a command that runs a check first) plus its own,
 *    each with a `help` line. Every start of the CLI loads every command module (for `--help`), so a command module
 *    imports only light modules at the top and its `run` loads the work with `await import(…)` (see ./verify.ts):
 *    that keeps zod, undici and the AWS SDK out of `--version`.
 * 2. Add it to `COMMANDS` below — one line.
 * `main.ts` then parses its options (strict: an unknown option is exit 2), answers `<name> --help`, lists it in
 * `--help`, and prints what `run` throws as one line (a `CheckError` is the user's mistake: exit 2, no stack trace).
 * `run` returns the exit code (`EXIT_OK`, `EXIT_FAILING`, `EXIT_ERROR`); stdout carries only what was asked for,
 * progress and warnings go to stderr. Its tests go in test/integration/cli/ (through `main`, see support.ts).
 */
import type { CliCommand } from '../command';
import { checkCommand } from './check';
import { evidenceCommand } from './evidence';
import { fixCommand } from './fix';
import { verifyCommand } from './verify';
import { watchCommand } from './watch';
import { webhooksCommand } from './webhooks';

export const COMMANDS: readonly CliCommand[] = [
  checkCommand,
  fixCommand,
  verifyCommand,
  evidenceCommand,
  watchCommand,
  webhooksCommand,
];
