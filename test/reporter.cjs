'use strict';
// mocha's spec output, then the time spent in each test file (hooks included), slowest first, so the files
// worth speeding up show; and one plain closing line ("N passed, N failed, N skipped") that any CI can read.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

class PlainSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const perFile = new Map();
    const started = new Map();
    // In a parallel run the workers' events arrive here only when a file is done, so the workers time their files
    // themselves (test/file-times.cjs) into a list this process reads at the end.
    const parallel = runner.isParallelMode?.() === true;
    const list = parallel ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-test-times-')), 'times.jsonl') : null;
    if (list) process.env.PARASOL_TEST_TIMES = list;
    // A file's top-level suites run one after another, so summing their spans gives the file's time.
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (parallel) return;
      if (suite.parent?.root && suite.file) started.set(suite, process.hrtime.bigint());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const start = started.get(suite);
      if (start === undefined) return;
      started.delete(suite);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      perFile.set(suite.file, (perFile.get(suite.file) ?? 0) + ms);
    });
    runner.once(EVENT_RUN_END, () => {
      if (list) {
        const lines = fs.existsSync(list) ? fs.readFileSync(list, 'utf8').split('\n').filter(Boolean) : [];
        for (const { file, ms } of lines.map((line) => JSON.parse(line))) perFile.set(file, (perFile.get(file) ?? 0) + ms);
        fs.rmSync(path.dirname(list), { recursive: true, force: true });
      }
      const { passes, failures, pending, duration } = this.stats;
      if (perFile.size > 1) {
        const rows = [...perFile].sort((a, b) => b[1] - a[1]);
        process.stdout.write('\nTime per file, slowest first:\n');
        for (const [file, ms] of rows) process.stdout.write(`${(ms / 1000).toFixed(1).padStart(8)} s  ${path.relative(process.cwd(), file)}\n`);
      }
      const total = duration === undefined ? '' : ` in ${(duration / 1000).toFixed(1)} s`;
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped${total}\n`);
    });
  }
}

module.exports = PlainSummary;
