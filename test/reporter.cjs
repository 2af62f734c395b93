'use strict';
// mocha's spec output, plus one plain closing line ("N passed, N failed, N skipped") that any CI can read.
const Mocha = require('mocha');

class PlainSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = PlainSummary;
