/**
 * What a CLI command is: a name, a one-line summary for the command list, a help text, the options it takes (a
 * `node:util` parseArgs config with a help line per option) and `run`. `main.ts` parses the arguments, answers
 * `--help`, and turns what `run` throws into one line on stderr; a command only does its work.
 */
import type { parseArgs } from 'node:util';
import type { AwsClients } from '../aws/clients';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now?: () => Date;
  /** AWS clients for `secretId` tenants and `verify --bucket`. @default built from the environment on first use */
  readonly awsClients?: () => AwsClients;
  /** Ends a long-running command (`watch`) cleanly. @default SIGINT or SIGTERM of the process */
  readonly signal?: AbortSignal;
}

/** The exit codes every command keeps to (see README "Exit codes"). */
export const EXIT_OK = 0;
/** Failing findings at or above --fail-on, or (verify) a broken archive. */
export const EXIT_FAILING = 1;
/** A tenant could not be checked, or the input was wrong. */
export const EXIT_ERROR = 2;

/** One option: the parseArgs descriptor plus what `--help` prints for it. */
export interface CliOption {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly default?: string | boolean | string[] | boolean[];
  /** One line for `--help`. */
  readonly help: string;
  /** The value's placeholder in `--help` (string options). @default 'value' */
  readonly value?: string;
}

export type CliOptions = Readonly<Record<string, CliOption>>;

/** The values parseArgs returns for `O` (strict), typed as parseArgs types them. */
export type OptionValues<O extends CliOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>['values'];

export interface CommandArgs<O extends CliOptions> {
  readonly values: OptionValues<O>;
  /** Arguments that are no option; always empty unless the command sets `positionals`. */
  readonly positionals: readonly string[];
}

export interface CommandSpec<O extends CliOptions> {
  /** What the user types after `qlik-access-guard`. */
  readonly name: string;
  /** One line for the command list of `qlik-access-guard --help`. */
  readonly summary: string;
  /** The synopsis line(s) after "Usage:", without the program name, e.g. `check --tenant <url> [options]`. */
  readonly usage: string;
  /** Paragraphs printed after the options in `<command> --help`. @default - none */
  readonly details?: string;
  readonly options: O;
  /** Placeholder of positional arguments in the synopsis; without it a positional argument is an error. @default - none */
  readonly positionals?: string;
  /** Does the work and returns the exit code; a user mistake is thrown as a `CheckError` (printed as one line). */
  run(args: CommandArgs<O>, io: CliIo): Promise<number>;
}

/** A command as the registry holds it: the option types erased (main.ts parses with the command's own options). */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly details?: string;
  readonly options: CliOptions;
  readonly positionals?: string;
  run(args: CommandArgs<CliOptions>, io: CliIo): Promise<number>;
}

/** Types a command's `run` against its own options; the registry then holds it as a {@link CliCommand}. */
export function defineCommand<const O extends CliOptions>(spec: CommandSpec<O>): CliCommand {
  return spec as unknown as CliCommand;
}

/** The options as parseArgs takes them (without the help texts). */
export function parseArgsOptions(options: CliOptions): Record<string, Omit<CliOption, 'help' | 'value'>> {
  return Object.fromEntries(
    Object.entries(options).map(([name, { help: _help, value: _value, ...descriptor }]) => [name, descriptor]),
  );
}
