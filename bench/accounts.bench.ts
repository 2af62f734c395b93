import autocannon from 'autocannon';
import argon2 from 'argon2';
import { percentile, report, startServer, timed } from './lib.js';

/**
 * Sign-up and log-in latency (argon2id dominates: its cost is reported on
 * its own) and the read throughput of an authenticated API call.
 * Run: npm run bench:accounts
 */
const SAMPLES = 20;

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function main(): Promise<void> {
  const [, hashMs] = await timed(() => argon2.hash('a benchmark passphrase', { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 }));
  const hashes: number[] = [hashMs];
  for (let i = 1; i < 10; i++) {
    hashes.push((await timed(() => argon2.hash(`passphrase number ${i}`, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 })))[1]);
  }

  const server = await startServer();
  try {
    const signups: number[] = [];
    const logins: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const handle = `bench_${i}`;
      const [res, ms] = await timed(() => post(`${server.url}/api/v1/accounts`, { handle, passphrase: 'a benchmark passphrase' }));
      if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
      signups.push(ms);
      const [login, loginMs] = await timed(() => post(`${server.url}/api/v1/sessions`, { handle, passphrase: 'a benchmark passphrase' }));
      if (login.status !== 201) throw new Error(`log-in failed: ${login.status}`);
      logins.push(loginMs);
    }
    const cookie = (await post(`${server.url}/api/v1/sessions`, { handle: 'bench_0', passphrase: 'a benchmark passphrase' })).headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const token = (await (
      await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: '{"name":"bench"}' })
    ).json()) as { token: string };

    const idleRss = server.rssMb();
    const result = await autocannon({
      url: `${server.url}/api/v1/me`,
      connections: 50,
      duration: 10,
      headers: { authorization: `Bearer ${token.token}` },
    });
    if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers under load`);
    const loadRss = server.rssMb();

    const ok = report('Accounts (SQLite, one 2-core machine)', [
      { name: 'argon2id hash alone (19 MiB, t=2), p50', value: percentile(hashes, 50), unit: 'ms' },
      { name: 'sign-up, p50', value: percentile(signups, 50), unit: 'ms', target: { value: 250, better: 'lower' } },
      { name: 'sign-up, p99', value: percentile(signups, 99), unit: 'ms' },
      { name: 'log-in, p50', value: percentile(logins, 50), unit: 'ms', target: { value: 250, better: 'lower' } },
      { name: 'log-in, p99', value: percentile(logins, 99), unit: 'ms' },
      { name: 'GET /api/v1/me (bearer), 50 conns 10 s', value: result.requests.average, unit: 'req/s', target: { value: 3000, better: 'higher' } },
      { name: 'GET /api/v1/me latency p50', value: result.latency.p50, unit: 'ms' },
      { name: 'GET /api/v1/me latency p99', value: result.latency.p99, unit: 'ms', target: { value: 100, better: 'lower' } },
      { name: 'server RSS idle', value: idleRss, unit: 'MB', target: { value: 150, better: 'lower' } },
      { name: 'server RSS after load', value: loadRss, unit: 'MB', target: { value: 300, better: 'lower' } },
    ]);
    process.stdout.write(`\n${ok ? 'All targets met.' : 'Some targets missed.'}\n`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
