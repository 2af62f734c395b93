/**
 * A visitor's kept thread page and thread JSON, and a bearer token holder's thread JSON, go out before express and its middleware
 * (server/http/kept-answers.ts). The first request for an answer goes the whole way (made, kept, sent as kept);
 * the same request again is answered before the middleware. Both are compared header by header and byte for byte.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

interface Raw {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The header lines as sent: names as spelt, in order. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** One request with exactly these headers (fetch would add its own), the body left as it travelled. */
function raw(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const text = (r: Raw): string => {
  const encoding = r.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(r.body).toString('utf8');
  if (encoding === 'gzip') return zlib.gunzipSync(r.body).toString('utf8');
  return r.body.toString('utf8');
};

/** Every header but Date; a new CSRF seed differs by its value only, so its value is left out. */
function comparable(headers: http.IncomingHttpHeaders): Record<string, unknown> {
  const { date: _date, ...rest } = headers;
  const cookies = rest['set-cookie']?.map((c) => c.replace(/^psl_csrf=[A-Za-z0-9_-]+;/, 'psl_csrf=(seed);'));
  return { ...rest, ...(cookies ? { 'set-cookie': cookies } : {}) };
}

/** The header lines as sent, but the Date's value and a new CSRF seed's. */
function lines(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = name.toLowerCase() === 'date' ? '(date)' : raw[i + 1]!.replace(/^psl_csrf=[A-Za-z0-9_-]+;/, 'psl_csrf=(seed);');
    out.push(`${name}: ${value}`);
  }
  return out;
}

const SEED = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const BROWSER = { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en', cookie: `psl_csrf=${SEED}` };

describe('kept answers served before the middleware', () => {
  let inst: TestInstance;
  let mod: Person;
  let alice: Person;
  let threadId: string;
  let replyId: string;
  const kept = () => inst.parasol.ctx.keptAnswers.answered;

  before(async () => {
    inst = await startInstance();
    const boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    const made = await alice.client.api('POST', '/boards/general/threads', { title: 'Kept for visitors', body: 'The opening words' });
    assert.equal(made.status, 201, made.text);
    threadId = made.json.thread.id;
    const reply = await alice.client.api('POST', `/threads/${threadId}/posts`, { body: 'A reply a moderator will remove' });
    assert.equal(reply.status, 201, reply.text);
    replyId = reply.json.post.id;
  });
  after(async () => inst.close());

  /** The answer made the whole way, then the same request answered before the middleware. */
  async function wholeThenKept(path: string, headers: Record<string, string>, method = 'GET'): Promise<{ whole: Raw; fast: Raw }> {
    inst.parasol.ctx.forums.changes.changed(threadId);
    const before = kept();
    const whole = await raw(inst.url, path, headers, method);
    assert.equal(kept(), before, `${method} ${path}: the first answer is made the whole way`);
    const fast = await raw(inst.url, path, headers, method);
    assert.equal(kept(), before + 1, `${method} ${path}: the same request again is answered before the middleware`);
    return { whole, fast };
  }

  function assertSame(whole: Raw, fast: Raw, what: string): void {
    assert.equal(fast.status, whole.status, what);
    assert.deepEqual(comparable(fast.headers), comparable(whole.headers), what);
    assert.deepEqual(lines(fast.rawHeaders), lines(whole.rawHeaders), `${what}: the same header lines in the same order`);
    assert.ok(fast.body.equals(whole.body), `${what}: the same bytes`);
  }

  const variants: readonly [string, Record<string, string>, string?][] = [
    ['Brotli', BROWSER],
    ['gzip', { ...BROWSER, 'accept-encoding': 'gzip' }],
    ['Brotli refused, gzip taken', { ...BROWSER, 'accept-encoding': 'br;q=0, gzip' }],
    ['no compression asked for', { ...BROWSER, 'accept-encoding': 'identity' }],
    ['no Accept-Encoding', { accept: 'text/html', 'accept-language': 'en', cookie: `psl_csrf=${SEED}` }],
    ['HEAD', BROWSER, 'HEAD'],
    ['another language', { ...BROWSER, 'accept-language': 'fr' }],
    ['a browser without a CSRF seed', { ...BROWSER, cookie: '' }],
  ];

  for (const [name, headers, method] of variants) {
    it(`sends a visitor's thread page and thread JSON as the whole way does: ${name}`, async () => {
      for (const path of [`/t/${threadId}`, `/api/v1/threads/${threadId}`, `/t/${threadId}?after=`]) {
        const { whole, fast } = await wholeThenKept(path, headers, method);
        assert.equal(whole.status, 200, path);
        assertSame(whole, fast, `${name}, ${path}`);
      }
    });
  }

  it('leaves a request for the ActivityPub document of a kept page to the whole way, which negotiates it', async () => {
    await wholeThenKept(`/t/${threadId}`, BROWSER);
    const before = kept();
    for (const accept of ['application/activity+json', 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"']) {
      await raw(inst.url, `/t/${threadId}`, { accept }, 'GET');
      assert.equal(kept(), before, `${accept}: not answered with the kept page`);
    }
  });

  it('keeps every security header and the page cookie on a kept page', async () => {
    const { fast } = await wholeThenKept(`/t/${threadId}`, { ...BROWSER, cookie: '' });
    assert.match(String(fast.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(fast.headers['x-content-type-options'], 'nosniff');
    assert.equal(fast.headers['referrer-policy'], 'no-referrer');
    assert.equal(fast.headers['x-frame-options'], 'SAMEORIGIN');
    assert.match(String(fast.headers['permissions-policy']), /camera=\(\)/);
    assert.equal(fast.headers['content-encoding'], 'br');
    assert.equal(fast.headers.vary, 'Accept, Accept-Encoding', 'the address also answers ActivityPub to those who ask');
    assert.match(String(fast.headers['set-cookie']), /^psl_csrf=[A-Za-z0-9_-]{22,64}; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.match(text(fast), /The opening words/);
    const json = await wholeThenKept(`/api/v1/threads/${threadId}`, BROWSER);
    assert.equal(json.fast.headers['cache-control'], 'private, no-cache');
    assert.equal(json.fast.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(json.fast.headers['set-cookie'], undefined, 'the API gives no page cookie');
  });

  it('answers 304 to a matching If-None-Match as the whole way does', async () => {
    for (const path of [`/t/${threadId}`, `/api/v1/threads/${threadId}`]) {
      const etag = String((await raw(inst.url, path, BROWSER)).headers.etag);
      const { whole, fast } = await wholeThenKept(path, { ...BROWSER, 'if-none-match': etag });
      assert.equal(whole.status, 304, path);
      assertSame(whole, fast, `304, ${path}`);
      // A browser's forced reload asks for the answer itself.
      const reload = await raw(inst.url, path, { ...BROWSER, 'if-none-match': etag, 'cache-control': 'no-cache' });
      assert.equal(reload.status, 200, path);
    }
  });

  it("sends a bearer token holder's kept thread JSON as the whole way does, and the answer of their own when they wrote on the page", async () => {
    const token = (await alice.client.api('POST', '/tokens', { name: 'reader app' })).json.token as string;
    const reader = await member(inst, 'reader');
    const readerToken = (await reader.client.api('POST', '/tokens', { name: 'reader app' })).json.token as string;
    const path = `/api/v1/threads/${threadId}`;
    for (const [who, bearer] of [['the author', token], ['another member', readerToken]] as const) {
      for (const [name, headers] of [['Brotli', BROWSER], ['gzip', { ...BROWSER, 'accept-encoding': 'gzip' }], ['identity', { accept: 'application/json' }]] as const) {
        const { whole, fast } = await wholeThenKept(path, { ...headers, authorization: `Bearer ${bearer}` });
        assert.equal(whole.status, 200, `${who}, ${name}`);
        assertSame(whole, fast, `bearer, ${who}, ${name}`);
      }
    }
    // The same thread's address with a trailing slash, and with a query, are worked out as the handler reads them.
    for (const other of [`${path}/`, `${path}?limit=30`]) {
      const { whole, fast } = await wholeThenKept(other, { ...BROWSER, authorization: `Bearer ${readerToken}` });
      assert.equal(whole.status, 200, other);
      assertSame(whole, fast, `bearer, ${other}`);
    }
    const mine = JSON.parse(text(await raw(inst.url, path, { accept: 'application/json', authorization: `Bearer ${token}` })));
    const theirs = JSON.parse(text(await raw(inst.url, path, { accept: 'application/json', authorization: `Bearer ${readerToken}` })));
    assert.ok(mine.posts.some((p: { mine?: boolean }) => p.mine), "the author's answer marks their posts");
    assert.ok(!theirs.posts.some((p: { mine?: boolean }) => p.mine), "another member's kept answer is not the author's");
    // A revoked token is refused at once, kept answer or not.
    const listed = await alice.client.api('GET', '/tokens');
    for (const t of listed.json.tokens as { id: string }[]) assert.equal((await alice.client.api('DELETE', `/tokens/${t.id}`)).status, 204);
    const before = kept();
    assert.equal((await raw(inst.url, path, { accept: 'application/json', authorization: `Bearer ${token}` })).status, 401);
    assert.equal(kept(), before, 'a revoked token goes the whole way, which refuses it');
  });

  it('sends members, stale sessions, bearer tokens and clients for the compression middleware the whole way', async () => {
    const path = `/t/${threadId}`;
    await raw(inst.url, path, BROWSER);
    const before = kept();
    const signedIn = await alice.client.get(path);
    assert.equal(signedIn.status, 200);
    assert.match(signedIn.text, /action="\/t\/[^"]+\/posts"/, 'a member gets their own page, with the reply form');
    const stale = await raw(inst.url, path, { ...BROWSER, cookie: `psl_session=not-a-session; psl_csrf=${SEED}` });
    assert.equal(stale.status, 200);
    assert.match(String(stale.headers['set-cookie']), /psl_session=;/, 'a stale session cookie is cleared');
    const bearer = await raw(inst.url, `/api/v1/threads/${threadId}`, { ...BROWSER, authorization: 'Bearer not-a-token' });
    assert.equal(bearer.status, 401);
    const unknown = await raw(inst.url, `/api/v1/threads/${threadId}`, { ...BROWSER, authorization: `Bearer psl_${'A'.repeat(43)}` });
    assert.equal(unknown.status, 401);
    assert.equal(JSON.parse(text(unknown)).error.code, 'bad_token');
    const deflate = await raw(inst.url, path, { ...BROWSER, 'accept-encoding': 'deflate' });
    assert.equal(deflate.status, 200);
    assert.equal(deflate.headers['content-encoding'], 'deflate', 'compressed by the middleware, as before');
    assert.equal(kept(), before, 'none of these was answered before the middleware');
  });

  it('answers bad input the whole way with a 4xx and keeps nothing', async () => {
    const bearer = { ...BROWSER, authorization: `Bearer ${(await mod.client.api('POST', '/tokens', { name: 'bad input' })).json.token as string}` };
    await raw(inst.url, `/api/v1/threads/${threadId}`, bearer);
    const before = kept();
    for (let i = 0; i < 2; i++) {
      for (const headers of [BROWSER, bearer]) {
        assert.equal((await raw(inst.url, `/api/v1/threads/${threadId}?limit=lots`, headers)).status, 422);
        assert.equal((await raw(inst.url, `/api/v1/threads/${threadId}?after=a&after=b`, headers)).status, 422);
        assert.equal((await raw(inst.url, '/api/v1/threads/no-such-thread', headers)).status, 404);
        assert.equal((await raw(inst.url, '/api/v1/threads/%E0%A4%A', headers)).status, 400);
      }
      assert.equal((await raw(inst.url, '/t/no-such-thread', BROWSER)).status, 404);
    }
    assert.equal(kept(), before);
  });

  it("drops the kept page and thread JSON the moment a moderator removes a post", async () => {
    const paths = [`/t/${threadId}`, `/api/v1/threads/${threadId}`];
    for (const path of paths) {
      await raw(inst.url, path, BROWSER);
      const before = kept();
      assert.match(text(await raw(inst.url, path, BROWSER)), /A reply a moderator will remove/, path);
      assert.equal(kept(), before + 1, `${path} is kept`);
    }
    const removed = await mod.client.api('POST', `/posts/${replyId}/moderation`, { action: 'remove', reason: 'kept answers test' });
    assert.equal(removed.status, 200, removed.text);
    for (const path of paths) {
      const before = kept();
      const after = await raw(inst.url, path, BROWSER);
      assert.equal(after.status, 200, path);
      assert.doesNotMatch(text(after), /A reply a moderator will remove/, path);
      assert.equal(kept(), before, `${path}: made again the whole way after the removal`);
      assert.doesNotMatch(text(await raw(inst.url, path, BROWSER)), /A reply a moderator will remove/, `${path}, kept again`);
    }
  });
});
