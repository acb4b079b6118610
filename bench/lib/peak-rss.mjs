// Preloaded with `node --import` into a command the benchmark runs untimed: at exit, writes the
// process's peak RSS (KiB) to the file named by STRATA_BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.STRATA_BENCH_RSS_FILE) writeFileSync(process.env.STRATA_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
