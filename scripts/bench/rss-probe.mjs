/**
 * Loaded with `node --import` where `/usr/bin/time` is missing: on exit, writes what `time -f "%M %U %S"` would
 * (peak RSS in KB, user and system CPU seconds) to the file named by TITAN_BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.TITAN_BENCH_RSS_FILE;
  if (!file) return;
  const usage = process.resourceUsage();
  writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
});
