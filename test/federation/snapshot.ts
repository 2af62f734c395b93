import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'snapshots');

/**
 * What was sent, as JSON with what changes from run to run made constant: the peers' addresses and accounts
 * (`names`, each replaced wherever it occurs, in either case), dates, the random or counted parts of ids, and the
 * FEP-8b32 signatures (the keys are new each run). Each
 * distinct activity once, sorted, so that the order deliveries arrive in does not matter.
 */
export function normalised(bodies: readonly unknown[], names: Readonly<Record<string, string>>): unknown[] {
  const entries = Object.entries(names).sort(([a], [b]) => b.length - a.length);
  const seen = new Set<string>();
  for (const body of bodies) {
    let text = JSON.stringify(body);
    for (const [from, to] of entries) text = text.split(from).join(to).split(from.toLowerCase()).join(to);
    text = text
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<date>')
      .replace(/\/ap\/o\/[0-9a-f]+/g, '/ap/o/<post>')
      .replace(/\/ap\/s\/((?:announce-)?(?:create|update|delete|lock|undo-lock|add|remove)|flag|like|undo-like)-[0-9a-f]+(?:-\d+)?/g, '/ap/s/$1-<id>')
      .replace(/\/ap\/s\/[0-9a-f]{24}/g, '/ap/s/<id>')
      .replace(/\/t\/[A-Za-z0-9_-]+#p-[A-Za-z0-9_-]+/g, '/t/<thread>#p-<post>')
      .replace(/\/follows\/\d+-[0-9a-f]{8}/g, '/follows/<n>')
      .replace(/"proofValue":"z[1-9A-HJ-NP-Za-km-z]+"/g, '"proofValue":"<signature>"');
    seen.add(text);
  }
  return [...seen].sort().map((text) => JSON.parse(text) as unknown);
}

/**
 * Compares with the snapshot kept in test/federation/snapshots/<name>.json, reviewed when it was written: any
 * change of what is sent fails until the snapshot is written again (UPDATE_SNAPSHOTS=1) and reviewed.
 */
export function matchSnapshot(name: string, actual: unknown): void {
  const file = path.join(DIR, `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    fs.writeFileSync(file, text);
    return;
  }
  assert.ok(fs.existsSync(file), `no snapshot ${name}.json: write it with UPDATE_SNAPSHOTS=1 and review it`);
  assert.deepEqual(actual, JSON.parse(fs.readFileSync(file, 'utf8')) as unknown);
}
