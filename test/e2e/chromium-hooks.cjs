'use strict';
// Root hooks (a mocha plugin named in .mocharc.json): the Chromium that test/e2e/browser.ts launches once for every browser
// test file of a run is closed when the run ends. In a parallel run each file is a run of its own, so there it is closed
// after each file, as before browser files shared one. Files without browser tests launch nothing and close nothing.
const SHARED_CHROMIUM = Symbol.for('parasol.test.chromium');

exports.mochaHooks = {
  async afterAll() {
    const shared = globalThis[SHARED_CHROMIUM];
    const launched = shared?.launched;
    if (!launched) return;
    shared.launched = undefined;
    const browser = await launched.catch(() => undefined);
    await browser?.close();
  },
};
