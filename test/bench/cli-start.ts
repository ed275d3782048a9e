/**
 * CLI start: how long `qlik-access-guard --version` takes from a shell, against Node's own start (`node -e 0`), for
 * the compiled CLI (bin/qlik-access-guard.mjs → dist/cli.mjs, as installed) and for the same source run through tsx
 * (how bin/ started the CLI before it was compiled: tsx's loader registered, then lambda/cli TypeScript imported).
 * Wall time of a fresh process each, round-robin so a slow spell of the machine does not land on one variant only;
 * median and minimum shown. dist/ is built afresh first.
 *
 * Alone: `npx tsx test/bench/cli-start.ts` rewrites its own section of RESULTS.md (the full `npm run bench` too;
 * results-file.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from '../../scripts/build';
import { PROJECT_ROOT } from './proc';
import { writeResultsSection } from './results-file';
import { median } from './stats';

export interface StartVariant {
  readonly name: string;
  readonly command: readonly string[];
  readonly wallMs: number[];
  /** CPU time (user + system) the process used, read by the process itself at exit. */
  readonly cpuMs: number[];
}

export interface CliStartResult {
  readonly runs: number;
  readonly node: StartVariant;
  readonly compiled: StartVariant;
  readonly tsx: StartVariant;
  /** Bytes of dist/cli.mjs (what `--version` loads) and of all of dist/ the CLI may load. */
  readonly entryBytes: number;
}

export async function measureCliStart(runs: number): Promise<CliStartResult> {
  await buildDist();
  const node = process.execPath;
  const variant = (name: string, args: string[]): StartVariant => ({
    name,
    command: [node, '--import', CPU_AT_EXIT, ...args],
    wallMs: [],
    cpuMs: [],
  });
  const variants = {
    node: variant('node -e 0', ['-e', '0']),
    compiled: variant('bin/qlik-access-guard.mjs --version (dist/cli.mjs)', ['bin/qlik-access-guard.mjs', '--version']),
    tsx: variant('through tsx (as before): lambda/cli/entry.ts --version', [
      '--import',
      'tsx',
      'lambda/cli/entry.ts',
      '--version',
    ]),
  };
  const all = [variants.node, variants.compiled, variants.tsx];
  for (const v of all) timeOnce(v); // warms the file cache
  for (let i = 0; i < runs; i++) {
    for (const v of all) {
      const { wall, cpu } = timeOnce(v);
      v.wallMs.push(wall);
      v.cpuMs.push(cpu);
    }
  }
  return { runs, ...variants, entryBytes: readFileSync(join(PROJECT_ROOT, 'dist', 'cli.mjs')).length };
}

/**
 * Loaded before the measured code in every variant alike: prints the process's CPU time as the last stderr line at
 * exit. On a shared machine wall time is mostly waiting for a core; CPU time is what the start itself costs.
 */
const CPU_AT_EXIT = `data:text/javascript,process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\ncpu-us ' + (u.user + u.system)); });`;

function timeOnce(variant: StartVariant): { wall: number; cpu: number } {
  const [command, ...args] = variant.command as [string, ...string[]];
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = /cpu-us (\d+)\s*$/.exec(result.stderr);
  if (result.status !== 0 || !cpu) throw new Error(`${variant.name}: exit ${result.status}: ${result.stderr}`);
  return { wall, cpu: Number(cpu[1]) / 1000 };
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;

/** Its section of RESULTS.md (results-file.ts). */
export const CLI_START_SECTION = 'cli-start';

export function renderCliStart(r: CliStartResult, date: string): string {
  const nodeWall = median(r.node.wallMs);
  const nodeCpu = median(r.node.cpuMs);
  const row = (v: StartVariant) =>
    `| ${v.name} | ${ms(median(v.wallMs))} | ${ms(median(v.wallMs) - nodeWall)} | ${ms(median(v.cpuMs))} | ` +
    `${ms(median(v.cpuMs) - nodeCpu)} |`;
  const aboveCpu = median(r.compiled.cpuMs) - nodeCpu;
  const aboveWall = median(r.compiled.wallMs) - nodeWall;
  return [
    '## 5. CLI start',
    '',
    `\`qlik-access-guard --version\` in a fresh process against Node's own start, ${r.runs} runs each, round-robin`,
    `(test/bench/cli-start.ts, ${date}). Target: under 150 ms above Node's own start. dist/cli.mjs is`,
    `${(r.entryBytes / 1000).toFixed(1)} kB: \`--version\` and \`--help\` load no chunk; a command loads its work when it runs.`,
    'Wall time includes waiting for a core when the machine is busy (Node alone shows how busy it was); CPU time',
    '(user + system, read by each process at exit) is what the start itself costs. Medians.',
    '',
    '| variant | wall | wall above Node | CPU | CPU above Node |',
    '|---|---|---|---|---|',
    row(r.node),
    row(r.compiled),
    row(r.tsx),
    '',
    `Compiled: ${ms(aboveCpu)} CPU and ${ms(aboveWall)} wall above Node's start — target ` +
      `${aboveCpu < 150 && aboveWall < 150 ? '**met**' : aboveCpu < 150 ? '**met** in CPU time (wall time: a busy machine)' : '**NOT met**'}` +
      `; through tsx: ${(median(r.tsx.cpuMs) / median(r.compiled.cpuMs)).toFixed(1)}× the compiled CLI's CPU time.`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const runs = Number(process.env.CLI_START_RUNS ?? 15);
  const result = await measureCliStart(runs);
  const section = renderCliStart(result, new Date().toISOString());
  writeResultsSection(CLI_START_SECTION, section);
  process.stdout.write(section);
}
