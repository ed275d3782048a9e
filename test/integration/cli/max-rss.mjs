// Preloaded with `node --import` by the hostile-tenant test: reports the process's peak resident set size on exit, on
// stderr's last line, so a spawned CLI can be measured without any tool outside Node.
process.on('exit', () => {
  process.stderr.write(`\nmax-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
