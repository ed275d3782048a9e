/**
 * The CLI door into `run`: `qlik-access-guard <command> …`, one command per file in `./commands/` (how to add one:
 * `./commands/index.ts`).
 *
 * stdout carries only what was asked for (`--json`: the report and nothing else); progress, notifications and errors
 * go to stderr. Exit codes: 0 clean, 1 failing findings at or above --fail-on, 2 a tenant could not be checked or the
 * input was wrong. A user mistake prints one clear line, never a stack trace (set QAG_DEBUG=1 for a defect's stack).
 */
import { parseArgs } from 'node:util';
import { CheckError, messageOf } from '../errors';
import { TOOL_VERSION } from '../version';
import {
  type CliCommand,
  type CliIo,
  type CliOption,
  type CliOptions,
  EXIT_ERROR,
  EXIT_OK,
  parseArgsOptions,
} from './command';
import { COMMANDS } from './commands/index';

export type { CliIo } from './command';

const PROGRAM = 'qlik-access-guard';

/** Every command answers these besides its own options. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h', help: 'print this help' } } as const satisfies CliOptions;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(programHelp());
    return EXIT_ERROR;
  }
  if (first === '--help' || first === '-h') {
    io.stdout(programHelp());
    return EXIT_OK;
  }
  if (first === 'help') return helpCommand(rest[0], io);
  if (first === '--version' || first === '-v') {
    io.stdout(`${TOOL_VERSION}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    return unknownCommand(first, io);
  }
  return runCommand(command, rest, io);
}

async function runCommand(command: CliCommand, argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseArgsOptions({ ...command.options, ...HELP_OPTION }),
      strict: true,
      allowPositionals: command.positionals !== undefined,
    });
  } catch (error) {
    // `check --help --tenant` still asks for help, though the arguments around it do not parse.
    if (argv.includes('--help') || argv.includes('-h')) return printCommandHelp(command, io);
    if (!isArgsError(error)) throw error;
    // Node appends a hint about '--' for commands that take positionals; the pointer to --help says enough.
    const message = error.message.replace(/\. To specify a positional argument[\s\S]*$/, '');
    io.stderr(`error: ${printable(message)}\nRun '${PROGRAM} ${command.name} --help' for its options.\n`);
    return EXIT_ERROR;
  }
  const { help, ...values } = parsed.values;
  if (help) return printCommandHelp(command, io);
  try {
    return await command.run({ values, positionals: parsed.positionals }, io);
  } catch (error) {
    if (error instanceof CheckError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT_ERROR;
    }
    // A defect, not a user mistake: say so, with the stack only on request.
    io.stderr(`error: unexpected failure: ${messageOf(error)}\n`);
    if (io.env.QAG_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return EXIT_ERROR;
  }
}

function helpCommand(name: string | undefined, io: CliIo): number {
  if (name === undefined) {
    io.stdout(programHelp());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return unknownCommand(name, io);
  return printCommandHelp(command, io);
}

function unknownCommand(name: string, io: CliIo): number {
  const what = name.startsWith('-') ? 'option' : 'command';
  io.stderr(
    `error: unknown ${what} "${printable(name)}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n` +
      `Run '${PROGRAM} --help' for more.\n`,
  );
  return EXIT_ERROR;
}

function printCommandHelp(command: CliCommand, io: CliIo): number {
  io.stdout(commandHelp(command));
  return EXIT_OK;
}

export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     print this help',
    '  -v, --version  print the version',
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
    'Exit codes: 0 clean; 1 failing findings (check) or a broken archive (verify); 2 not checked, or bad input.',
    '',
  ].join('\n');
}

export function commandHelp(command: CliCommand): string {
  const options = Object.entries<CliOption>({ ...command.options, ...HELP_OPTION }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}`;
    return { left: option.type === 'string' ? `${flag} <${option.value ?? 'value'}>` : flag, help: option.help };
  });
  const width = Math.max(...options.map((o) => o.left.length));
  return [
    `Usage: ${PROGRAM} ${command.usage}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'Options:',
    ...options.map((o) => `  ${o.left.padEnd(width)}  ${o.help}`),
    ...(command.details ? ['', command.details] : []),
    '',
  ].join('\n');
}

function isArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

/** What the user typed, echoed on one line: control, bidi and line-separator characters escaped, length bounded. */
function printable(text: string): string {
  const bounded = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return bounded.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
