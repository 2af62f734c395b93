'use strict';
// Root hooks for parallel runs (`npm test`): there each test file runs in a worker process with a root suite of
// its own, so these run once per file, and the file's time (hooks included) is appended to the list the
// reporter (test/reporter.cjs) named in PARASOL_TEST_TIMES. In a serial run (`npm run test:file`) that variable
// is unset and the reporter times the files itself.
const fs = require('node:fs');

let started;

exports.mochaHooks = {
  beforeAll() {
    started = process.hrtime.bigint();
  },
  afterAll() {
    const list = process.env.PARASOL_TEST_TIMES;
    const file = this.test?.parent?.suites.find((suite) => suite.file)?.file;
    if (!list || !file || started === undefined) return;
    fs.appendFileSync(list, `${JSON.stringify({ file, ms: Number(process.hrtime.bigint() - started) / 1e6 })}\n`);
  },
};
