import crypto from 'node:crypto';
import type { Figure } from './lib.js';

/** A fresh DATABASE_KEY for the encrypted run of a benchmark. */
export const benchDatabaseKey = () => crypto.randomBytes(24).toString('base64');

/** Prints each figure of the plain run beside the same figure with DATABASE_KEY set, and the change. */
export function compareRuns(title: string, plain: readonly Figure[], encrypted: readonly Figure[]): void {
  const heading = `${title}: plain vs DATABASE_KEY (SQLCipher 4)`;
  process.stdout.write(`\n${heading}\n${'-'.repeat(heading.length)}\n`);
  process.stdout.write(`${'figure'.padEnd(44)} ${'plain'.padStart(12)} ${'encrypted'.padStart(12)} ${'change'.padStart(8)}\n`);
  const show = (f: Figure) => `${f.value.toFixed(f.value < 10 ? 2 : 0)} ${f.unit}`.trim();
  for (const p of plain) {
    const e = encrypted.find((f) => f.name === p.name);
    if (!e) continue;
    const change = p.value === 0 ? '' : `${e.value >= p.value ? '+' : ''}${(((e.value - p.value) / p.value) * 100).toFixed(0)} %`;
    process.stdout.write(`${p.name.padEnd(44)} ${show(p).padStart(12)} ${show(e).padStart(12)} ${change.padStart(8)}\n`);
  }
}
