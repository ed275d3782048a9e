// Preloaded with `node --import` by the hostile-tenant benchmark: reports the process's peak resident set size and
// the CPU time it used (user + system) on exit, on stderr's last line, so wall time spent waiting (retry backoff) can
// be told from work.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(
    `\nmax-rss-kib ${usage.maxRSS} cpu-ms ${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\n`,
  );
});
