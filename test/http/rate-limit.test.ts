import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';

describe('rate limits on sign-up, log-in and recovery', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance({
      config: (c) => ({
        ...c,
        rateLimits: {
          signup: { perKey: 2, overall: 4, windowSeconds: 600 },
          login: { perKey: 3, overall: 100, windowSeconds: 600 },
          recovery: { perKey: 2, overall: 100, windowSeconds: 600 },
          posting: c.rateLimits.posting,
          lookup: c.rateLimits.lookup,
          roomMessages: c.rateLimits.roomMessages,
          roomEvents: c.rateLimits.roomEvents,
          conversationMessages: c.rateLimits.conversationMessages,
          conversationStarts: c.rateLimits.conversationStarts,
        },
      }),
    });
  });
  after(async () => inst.close());

  it('limits log-in attempts per handle with 429, Retry-After and a message, without touching other handles', async () => {
    const h = handle();
    await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: PASS });
    for (let i = 0; i < 3; i++) {
      assert.equal((await new Client(inst.url).api('POST', '/sessions', { handle: h, passphrase: 'wrong guess here' })).status, 401);
    }
    const blocked = await new Client(inst.url).api('POST', '/sessions', { handle: h.toUpperCase(), passphrase: PASS });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.json.error.code, 'challenge_required');
    assert.match(blocked.json.error.message, /Wait \d+ seconds?/);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0, `retry-after ${blocked.headers.get('retry-after')}`);
    const other = await new Client(inst.url).api('POST', '/sessions', { handle: 'someone_else', passphrase: 'whatever guess' });
    assert.equal(other.status, 401, 'another handle is not blocked');
  });

  it('limits recovery attempts per handle', async () => {
    const h = handle();
    await new Client(inst.url).api('POST', '/accounts', { handle: h, passphrase: PASS });
    for (let i = 0; i < 2; i++) {
      await new Client(inst.url).api('POST', '/recovery', { handle: h, code: 'aaaaa-bbbbb', passphrase: 'guessing new pass' });
    }
    const blocked = await new Client(inst.url).api('POST', '/recovery', { handle: h, code: 'aaaaa-bbbbb', passphrase: 'guessing new pass' });
    assert.equal(blocked.status, 429);
  });

  it('limits sign-ups overall, and the page form shows the message', async () => {
    let last = 0;
    for (let i = 0; i < 5; i++) {
      last = (await new Client(inst.url).api('POST', '/accounts', { handle: handle('flood'), passphrase: PASS })).status;
    }
    assert.equal(last, 429);
    const page = await new Client(inst.url).submit('/signup', '/signup', { handle: handle('flood'), passphrase: PASS });
    assert.equal(page.status, 429);
    assert.match(page.text, /Too many tries/);
  });
});
