import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { member, type Person } from '../helpers/people.js';

describe('notifications, newest first', () => {
  let inst: TestInstance;
  let ana: Person;
  before(async () => {
    inst = await startInstance();
    ana = await member(inst, 'ana');
  });
  after(() => inst.close());

  it('lists notifications made within one millisecond in the order they were made, newest first', async () => {
    const urls = Array.from({ length: 30 }, (_, i) => `/safety/alerts#${i}`);
    // Far quicker than one a millisecond: many share their millisecond.
    for (const url of urls) await inst.parasol.ctx.notifications.notify([ana.id], 'danger_alert', url);
    const listed = await ana.client.api('GET', '/notifications');
    assert.equal(listed.status, 200, listed.text);
    const shown = (listed.json.notifications as { url: string }[]).map((n) => n.url).filter((u) => urls.includes(u));
    assert.deepEqual(shown, [...urls].reverse());
  });
});
