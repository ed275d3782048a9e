/**
 * The command line itself: `--version`, `--help` and `<command> --help` answer and exit 0 on every command; an unknown
 * command or option is one clear message and exit 2; what the user typed is echoed on one line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../lambda/cli/commands/index';
import { checkArgs, cleanUp, cli, PROJECT_ROOT, spawnCommand, startSim, workspace } from './support';

afterEach(cleanUp);

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const STACK_LINE = /^\s+at /m;

describe('--version and --help', () => {
  it.each([['--version'], ['-v']])('%s prints the package version alone and exits 0', async (flag) => {
    const { code, stdout, stderr } = await cli([flag]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${PACKAGE_VERSION}\n`);
    expect(stderr).toBe('');
  });

  it.each([['--help'], ['-h'], ['help']])('%s lists every command with its summary and exits 0', async (flag) => {
    const { code, stdout, stderr } = await cli([flag]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: qlik-access-guard <command>/);
    for (const command of COMMANDS) expect(stdout).toContain(`  ${command.name}  `.trimEnd());
    for (const command of COMMANDS) expect(stdout).toContain(command.summary);
  });

  it('no command at all is a usage error: the help on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Usage: qlik-access-guard <command>/);
  });

  describe.each(COMMANDS.map((command) => [command.name, command] as const))('%s', (name, command) => {
    it.each([[[name, '--help']], [[name, '-h']], [['help', name]]])(
      '%j prints its usage and every option, and exits 0',
      async (argv) => {
        const { code, stdout, stderr } = await cli(argv);
        expect(code).toBe(0);
        expect(stderr).toBe('');
        expect(stdout.split('\n')[0]).toBe(`Usage: qlik-access-guard ${command.usage}`);
        for (const option of Object.keys(command.options)) expect(stdout).toMatch(new RegExp(`--${option}\\b`));
        expect(stdout).toContain('--help');
      },
    );

    it('an unknown option is one line naming it and where to look, exit 2', async () => {
      const { code, stdout, stderr } = await cli([name, '--frobnicate']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `error: Unknown option '--frobnicate'\nRun 'qlik-access-guard ${name} --help' for its options.\n`,
      );
    });
  });

  it('check --help among other options answers the help and checks nothing', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const { code, stdout } = await cli([...checkArgs(ws, [sim.url]), '--help'], { cwd: ws.dir });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: qlik-access-guard check/);
    expect(sim.log).toEqual([]);
    expect(existsSync(ws.out)).toBe(false);
  });

  it('every option of every command has a help line, and command names are unique', () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const command of COMMANDS) {
      for (const [name, option] of Object.entries(command.options)) {
        expect(option.help.trim(), `${command.name} --${name}`).not.toBe('');
      }
    }
  });
});

describe('unknown commands', () => {
  it('names the command and lists the known ones, exit 2, no stack trace', async () => {
    const { code, stdout, stderr } = await cli(['chekc', '--tenant', 'https://acme.eu.qlikcloud.com']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(
      `error: unknown command "chekc" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
    );
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('an unknown global option is called an option', async () => {
    const { code, stderr } = await cli(['--frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: unknown option "--frobnicate"/);
  });

  it('echoes what was typed on one line, control and line-separator characters escaped', async () => {
    const { code, stderr } = await cli(['evil\u001b[2J\r\nerror: forged\u2028line']);
    expect(code).toBe(2);
    const [first, ...rest] = stderr.trimEnd().split('\n');
    expect(first).toContain('evil\\u001b[2J\\u000d\\u000aerror: forged\\u2028line');
    expect(rest).toEqual(["Run 'qlik-access-guard --help' for more."]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    expect(stderr.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u2028]/);
  });
});

describe('the real executable', () => {
  it('bin/qlik-access-guard.mjs answers --version and check --help in its own Node process', async () => {
    const env = { PATH: process.env.PATH ?? '' };
    const bin = join(PROJECT_ROOT, 'bin/qlik-access-guard.mjs');

    const version = await spawnCommand(process.execPath, [bin, '--version'], { cwd: PROJECT_ROOT, env });
    expect(version).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });

    const help = await spawnCommand(process.execPath, [bin, 'check', '--help'], { cwd: PROJECT_ROOT, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: qlik-access-guard check/);
  });
});
