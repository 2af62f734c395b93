import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/process.js';

/**
 * Test files say what they need by their names (see README, "Test it"):
 * *.unit.test.ts needs nothing but the code (no instance, process, server,
 * database file or browser), *.e2e.test.ts drives Chromium, and every other
 * *.test.ts is an integration test. This keeps `npm run test:unit` fast.
 */
const testDir = path.join(repoRoot, 'test');
const files = (fs.readdirSync(testDir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.test.ts'));
const needsMore = /\b(startInstance|startPeers?|runTs|runEntry|runNode|createParasol|openSqliteStore|openMongoStore|useBrowser|createServer)\b|\.listen\(/;

describe('test file names', () => {
  it('finds the test files', () => {
    assert.ok(files.length > 20, `found ${files.length}`);
  });

  it('keeps unit tests free of instances, processes, servers, databases and browsers', () => {
    const unit = files.filter((f) => f.endsWith('.unit.test.ts') && !f.endsWith('naming.unit.test.ts'));
    assert.ok(unit.length > 0, 'there are unit tests');
    const heavy = unit.filter((f) => needsMore.test(fs.readFileSync(path.join(testDir, f), 'utf8')));
    assert.deepEqual(heavy, [], 'these start something: name them *.test.ts (integration)');
  });

  it('names every browser test *.e2e.test.ts, in test/e2e', () => {
    const browser = files.filter((f) => /\buseBrowser\(/.test(fs.readFileSync(path.join(testDir, f), 'utf8')));
    assert.deepEqual(browser.filter((f) => !f.startsWith(`e2e${path.sep}`) || !f.endsWith('.e2e.test.ts')), []);
  });
});
