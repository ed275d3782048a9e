/**
 * The executable: `main` wired to this process (built into dist/cli.mjs by scripts/build.ts; bin/qlik-access-guard.mjs
 * loads that).
 */
import { main } from './main';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});
