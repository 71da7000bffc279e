// Preloaded into a toyscope child process by memory tests (`node --import`): prints the process's peak resident
// set size on exit, as `max-rss-kib N` on stderr, measured by the process itself (worker threads included).
process.on('exit', () => process.stderr.write(`max-rss-kib ${process.resourceUsage().maxRSS}\n`));
