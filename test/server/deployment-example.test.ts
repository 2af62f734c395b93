/**
 * The systemd unit of docs/examples/parasol.service, run as systemd would run it, as far as a test can without
 * systemd: its ExecStart with its environment (pointed at a port and a data directory of the test's), stopped the
 * way its KillMode says (SIGTERM to the main process alone, then SIGKILL to whatever of the unit is left once that
 * has exited, or once TimeoutStopSec has passed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STOP_GRACE_MS } from '../../server/cluster/primary.js';
import { freePort, repoRoot, withCheapHashing } from '../helpers/process.js';

const UNIT = path.join(repoRoot, 'docs', 'examples', 'parasol.service');
/** Starting means building (esbuild) and starting two workers on a loaded 2-core machine. */
const START_MS = 180_000;

/** The [Service] section's settings; Environment lines gathered into one record. */
function serviceSettings(text: string): { settings: Map<string, string>; env: Record<string, string> } {
  const settings = new Map<string, string>();
  const env: Record<string, string> = {};
  let inService = false;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('[')) inService = line === '[Service]';
    if (!inService || line.startsWith('#') || !line.includes('=')) continue;
    const eq = line.indexOf('=');
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1)];
    if (key === 'Environment') {
      const inner = value.indexOf('=');
      env[value.slice(0, inner)] = value.slice(inner + 1);
    } else {
      settings.set(key, value);
    }
  }
  return { settings, env };
}

/** Whether any process of the group (the unit's control group, here) is still there. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the systemd unit of docs/examples', function () {
  this.timeout(600_000);
  let dataDir: string;
  let pgid = 0;

  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parasol-unit-'));
  });

  after(() => {
    if (pgid !== 0 && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops every process of the instance cleanly on the SIGTERM its KillMode sends, before TimeoutStopSec', async () => {
    const { settings, env } = serviceSettings(fs.readFileSync(UNIT, 'utf8'));
    assert.equal(settings.get('KillMode'), 'mixed', 'SIGTERM to the main process only: the primary stops its workers itself');
    const timeoutMs = Number(settings.get('TimeoutStopSec')) * 1000;
    assert.ok(timeoutMs > STOP_GRACE_MS, `TimeoutStopSec (${timeoutMs} ms) leaves the primary its ${STOP_GRACE_MS} ms of grace`);
    const [command, ...args] = settings.get('ExecStart')!.split(/\s+/);
    assert.ok(command && fs.existsSync(command), `ExecStart names a program that exists: ${command}`);

    const port = await freePort();
    const child = spawn(command, args, {
      cwd: repoRoot,
      // A group of its own stands for the unit's control group.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: withCheapHashing({
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...env,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        PARASOL_WORKERS: '2',
      }),
    });
    pgid = child.pid!;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const end = Date.now() + START_MS;
    while ((output.match(/Parasol is listening/g) ?? []).length < 2) {
      assert.equal(child.exitCode, null, `the unit's command exited while starting:\n${output}`);
      assert.ok(Date.now() < end, `not listening in time:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const started = Date.now();
    child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const code = await Promise.race([exited, timer]);
    assert.notEqual(code, 'timeout', `the main process was still running at TimeoutStopSec:\n${output.slice(-2000)}`);
    assert.equal(code, 0, output.slice(-2000));
    // systemd now kills what is left of the unit: nothing may be, or it would die without stopping cleanly.
    assert.equal(groupAlive(pgid), false, 'no process of the instance outlived the main one');
    assert.doesNotMatch(output, /forced exit/, `stopped in ${Date.now() - started} ms without a forced exit`);
    assert.equal((output.match(/"msg":"shutting down"/g) ?? []).length, 3, 'the primary and both workers stopped on the signal');
  });
});
