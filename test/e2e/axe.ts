import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** axe-core's browser build, evaluated in each page through the DevTools protocol (which the site's CSP does not govern). */
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Impacts that fail the test; "minor" and "moderate" findings are left to judgement. */
const BLOCKING = new Set(['serious', 'critical']);

export interface Finding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: readonly string[];
}

/** Runs axe on the page as it is now; returns its serious and critical violations, and content outside landmarks. */
export async function axeViolations(page: Page): Promise<Finding[]> {
  if (!(await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[]; impact?: string | null }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.flatMap((v) =>
      v.nodes.map((n) => ({ id: v.id, impact: n.impact ?? v.impact ?? null, help: v.help, targets: n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))) })),
    );
  });
  // Content outside every landmark ("region", moderate) fails too: a screen reader user jumping by landmark would miss it.
  return found.filter((f) => f.id === 'region' || (f.impact !== null && BLOCKING.has(f.impact)));
}
