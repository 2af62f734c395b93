import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import Database from 'better-sqlite3';
import { io as connect } from 'socket.io-client';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, type Person } from '../helpers/people.js';
import { ManualClock } from './manual-clock.js';
import { itReadsSqliteFile } from '../helpers/test-database.js';

/** Polls until `check` passes or the time is up: for what reaches another server (a Web Push), not for deadlines. */
async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function pair(a: Person, b: Person): Promise<void> {
  assert.equal((await a.client.api('POST', '/buddies', { handle: b.handle })).status, 201);
  const accepted = await b.client.api('POST', '/buddies', { handle: a.handle });
  assert.equal(accepted.json.buddy.state, 'active');
}

const notificationKinds = async (who: Person) => ((await who.client.api('GET', '/notifications')).json.notifications as { kind: string; url: string }[]);

describe('safety tools API', () => {
  let inst: TestInstance;
  let boss: Person;
  let ana: Person;
  let bea: Person;
  let cat: Person;
  // Deadlines pass when the test moves this clock: one scan a minute, a grace of one second.
  const clock = new ManualClock();
  const SCAN_MS = 60_000;

  before(async () => {
    inst = await startInstance({ env: { CHECKIN_GRACE_SECONDS: '1', CHECKIN_SCAN_SECONDS: '60', ALLOW_PRIVATE_NETWORK: 'true' }, clock });
    boss = await admin(inst);
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
    cat = await member(inst, 'cat');
    await pair(ana, bea);
  });
  after(async () => inst.close());

  const rows = (table: string) => {
    const db = new Database(inst.dbFile, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  describe('buddies', () => {
    it('pairs by mutual request; either side can end it', async () => {
      const dee = await member(inst, 'dee');
      const asked = await dee.client.api('POST', '/buddies', { handle: cat.handle });
      assert.equal(asked.json.buddy.state, 'outgoing');
      const catSees = await cat.client.api('GET', '/buddies');
      assert.equal(catSees.json.buddies[0].state, 'incoming');
      assert.ok((await notificationKinds(cat)).some((n) => n.kind === 'buddy_request'), 'the buddy is told of the request');
      await cat.client.api('POST', '/buddies', { handle: dee.handle });
      assert.equal((await dee.client.api('GET', '/buddies')).json.buddies[0].state, 'active');
      assert.equal((await dee.client.api('POST', '/buddies', { handle: cat.handle })).status, 409);
      assert.equal((await cat.client.api('DELETE', `/buddies/${dee.handle}`)).status, 204);
      assert.equal((await dee.client.api('GET', '/buddies')).json.buddies.length, 0);
    });

    it('refuses yourself, unknown handles and visitors', async () => {
      assert.equal((await ana.client.api('POST', '/buddies', { handle: ana.handle })).status, 422);
      assert.equal((await ana.client.api('POST', '/buddies', { handle: 'nobody_like_this' })).status, 404);
      assert.equal((await new Client(inst.url).api('POST', '/buddies', { handle: ana.handle })).status, 401);
    });
  });

  describe('check-ins', () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['an end time in the past', { minutes: -5, buddies: [] }, /passed already/],
      ['an end time more than 24 hours ahead', { minutes: 24 * 60 + 1, buddies: [] }, /24 hours/],
      ['no buddy', { minutes: 60, buddies: [] }, /at least one buddy/],
      ['someone who is not a buddy', { minutes: 60, buddies: ['NOT_A_BUDDY'] }, /is not your buddy/],
    ];
    for (const [label, body, message] of bad) {
      it(`refuses a check-in with ${label} and starts nothing`, async () => {
        const input = { ...body, buddies: (body.buddies as string[]).length ? [cat.handle] : [] };
        if (label === 'an end time in the past' || label === 'an end time more than 24 hours ahead') input.buddies = [bea.handle];
        const before = (await ana.client.api('GET', '/checkins')).json.checkins.length;
        const reply = await ana.client.api('POST', '/checkins', input);
        assert.equal(reply.status, 422, reply.text);
        assert.match(Object.values(reply.json.error.fields).join(' '), message);
        assert.equal((await ana.client.api('GET', '/checkins')).json.checkins.length, before);
      });
    }

    it('alerts the chosen buddies when nobody said "I\'m safe" by the deadline; a buddy takes it on', async () => {
      const started = await ana.client.api('POST', '/checkins', { expectedEnd: clock.now() + 1500, buddies: [bea.handle], notes: 'Hotel Azul, room 12. Tall man, red cap.' });
      assert.equal(started.status, 201, started.text);
      const id = started.json.checkin.id;
      assert.equal((await cat.client.api('GET', `/checkins/${id}`)).status, 404, 'not a chosen buddy: nothing to see');
      await clock.advance(SCAN_MS - 1);
      assert.ok(!(await notificationKinds(bea)).some((n) => n.url.endsWith(id)), 'no alarm before the next scan');
      await clock.advance(1);
      const note = (await notificationKinds(bea)).find((n) => n.kind === 'buddy_overdue' && n.url.endsWith(id));
      assert.ok(note, 'the buddy is told the check-in is overdue at the first scan after the deadline');
      const seen = await bea.client.api('GET', `/checkins/${id}`);
      assert.equal(seen.json.checkin.status, 'alerted');
      assert.match(seen.json.checkin.notes, /Hotel Azul/);
      const alarms = await bea.client.api('GET', '/checkins/alarms');
      assert.ok(alarms.json.checkins.some((c: { id: string }) => c.id === id), 'the check-in is among the buddy’s alarms');
      const handled = await bea.client.api('POST', `/checkins/${id}/handling`);
      assert.deepEqual(handled.json.checkin.handledBy, [bea.handle]);
      assert.equal((await ana.client.api('POST', `/checkins/${id}/handling`)).status, 403);
      const safe = await ana.client.api('POST', `/checkins/${id}/safe`);
      assert.equal(safe.json.checkin.status, 'closed');
      assert.ok((await notificationKinds(bea)).some((n) => n.kind === 'buddy_safe'), 'the buddy is told the person is safe');
    });

    it('alerts a check-in once when two scans find it overdue at the same time', async () => {
      const started = await ana.client.api('POST', '/checkins', { expectedEnd: clock.now() + 1000, buddies: [bea.handle] });
      const id = started.json.checkin.id;
      const later = clock.now() + 5000;
      const [first, second] = await Promise.all([inst.parasol.ctx.safety.alertOverdue(later), inst.parasol.ctx.safety.alertOverdue(later)]);
      assert.equal(first + second, 1, 'one of the two scans alerted it, the other found it alerted');
      const alarms = (await notificationKinds(bea)).filter((n) => n.url.endsWith(id));
      assert.deepEqual(alarms.map((n) => n.kind), ['buddy_overdue']);
      assert.equal((await bea.client.api('GET', `/checkins/${id}`)).json.checkin.status, 'alerted');
      await ana.client.api('POST', `/checkins/${id}/safe`);
    });

    itReadsSqliteFile('keeps only the masked hint of a client identifier, never a digest of it', async () => {
      const started = await ana.client.api('POST', '/checkins', { minutes: 60, buddies: [bea.handle], client: { type: 'phone', value: '+1 415 555 0142' } });
      assert.equal(started.status, 201, started.text);
      const id = started.json.checkin.id;
      assert.ok(started.json.checkin.clientHint, 'the buddies get a hint of who the client is');
      const db = new Database(inst.dbFile, { readonly: true });
      const stored = JSON.parse((db.prepare('SELECT doc FROM c_checkins WHERE id = ?').get(id) as { doc: string }).doc) as Record<string, unknown>;
      db.close();
      assert.ok(!('clientDigest' in stored), 'no digest stored');
      assert.doesNotMatch(JSON.stringify(stored), /4155550142/);
      await ana.client.api('POST', `/checkins/${id}/safe`);
    });

    it('closes with "I\'m safe" before the deadline (no alert), extends a running one', async () => {
      const started = await ana.client.api('POST', '/checkins', { minutes: 60, buddies: [bea.handle] });
      const id = started.json.checkin.id;
      const extended = await ana.client.api('POST', `/checkins/${id}/extend`, { minutes: 30 });
      assert.ok(extended.json.checkin.expectedEnd > started.json.checkin.expectedEnd + 29 * 60_000, 'the check-in is extended by thirty minutes');
      assert.equal((await bea.client.api('POST', `/checkins/${id}/safe`)).status, 403);
      assert.equal((await ana.client.api('POST', `/checkins/${id}/safe`)).status, 200);
      assert.equal((await ana.client.api('POST', `/checkins/${id}/safe`)).status, 409);
      assert.ok(!(await notificationKinds(bea)).some((n) => n.url.endsWith(id)), 'the buddy is not told of a check-in closed in time');
    });

    itReadsSqliteFile('deletes a check-in and its notes 72 hours after it ended', async () => {
      const started = await ana.client.api('POST', '/checkins', { minutes: 30, buddies: [bea.handle], notes: 'delete me later' });
      await ana.client.api('POST', `/checkins/${started.json.checkin.id}/safe`);
      const before = rows('c_checkins');
      await inst.parasol.ctx.store.sweepExpired(Date.now() + 71 * 3_600_000);
      assert.equal(rows('c_checkins'), before, 'still there after 71 hours');
      await inst.parasol.ctx.store.sweepExpired(Date.now() + 73 * 3_600_000);
      const db = new Database(inst.dbFile, { readonly: true });
      const left = db.prepare("SELECT count(*) AS n FROM c_checkins WHERE doc LIKE '%delete me later%'").get() as { n: number };
      db.close();
      assert.equal(left.n, 0);
    });

    it('sends an SOS to the buddies at once, live over socket.io', async () => {
      const socket = connect(`${inst.url}/live`, { transports: ['websocket'], extraHeaders: { cookie: `psl_session=${bea.client.cookies.get('psl_session')}` } });
      try {
        const subscribed = await new Promise<{ ok: boolean }>((resolve) => socket.emit('subscribe', { channel: `account:${bea.id}` }, resolve));
        assert.equal(subscribed.ok, true);
        const received = new Promise<{ checkinId: string; sos: boolean }>((resolve) => socket.once('buddy-alert', resolve));
        const sos = await ana.client.api('POST', '/sos');
        assert.equal(sos.status, 201);
        const event = await received;
        assert.equal(event.checkinId, sos.json.checkin.id);
        assert.equal(event.sos, true);
        assert.ok((await notificationKinds(bea)).some((n) => n.kind === 'buddy_sos'), 'the buddy is told of the SOS');
      } finally {
        socket.close();
      }
      assert.equal((await cat.client.api('POST', '/sos')).status, 422, 'no buddies to alert');
    });

    it('delivers a neutral, encrypted Web Push with the instance’s own VAPID key', async () => {
      const received: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
      const receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(201).end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
      const port = (receiver.address() as { port: number }).port;
      try {
        const ecdh = crypto.createECDH('prime256v1');
        ecdh.generateKeys();
        const auth = crypto.randomBytes(16);
        const key = await bea.client.api('GET', '/push/key');
        assert.match(key.json.publicKey, /^[A-Za-z0-9_-]{80,}$/);
        const subscribed = await bea.client.api('POST', '/push/subscriptions', {
          endpoint: `http://127.0.0.1:${port}/push/abc`,
          keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
        });
        assert.equal(subscribed.status, 201, subscribed.text);
        await ana.client.api('POST', '/sos');
        const push = await eventually(async () => received[0]);
        assert.match(String(push.headers.authorization), /^vapid t=.+, k=/);
        assert.equal(push.headers['content-encoding'], 'aes128gcm');
        const ece = (await import('http_ece')).default;
        const plain = JSON.parse(ece.decrypt(push.body, { version: 'aes128gcm', privateKey: ecdh, dh: undefined, authSecret: auth }).toString());
        assert.match(plain.url, /^\/safety\/checkins\//);
        assert.deepEqual(Object.keys(plain), ['url'], 'nothing but where to look');
      } finally {
        receiver.close();
      }
    });
  });

  describe('alarms, seen from both sides', () => {
    let dee: Person;
    let eve: Person;
    let fay: Person;
    before(async () => {
      dee = await member(inst, 'dee');
      eve = await member(inst, 'eve');
      fay = await member(inst, 'fay');
      await pair(dee, eve);
      await pair(dee, fay);
    });
    afterEach(async () => {
      await boss.client.api('PATCH', '/admin/settings', { alarmContact: '' });
      for (const c of (await dee.client.api('GET', '/checkins')).json.checkins as { id: string; status: string }[]) {
        if (c.status !== 'closed') await dee.client.api('POST', `/checkins/${c.id}/safe`);
      }
    });

    const overdue = async (minutes: number, notes = '') => {
      const started = await dee.client.api('POST', '/checkins', { expectedEnd: clock.now() + minutes * 60_000, buddies: [eve.handle, fay.handle], notes });
      assert.equal(started.status, 201, started.text);
      await clock.advance(minutes * 60_000 + SCAN_MS);
      return started.json.checkin.id as string;
    };
    const main = (page: string) => /<main id="main">([\s\S]*)<\/main>/.exec(page)?.[1] ?? '';
    const alarmIds = async (who: Person) => ((await who.client.api('GET', '/checkins/alarms')).json.checkins as { id: string }[]).map((c) => c.id);

    it('lists an open alarm from the check-in itself, however many notifications come after it, until the worker is safe', async () => {
      const id = await overdue(10);
      for (let i = 0; i < 55; i++) await inst.parasol.ctx.notifications.notify([eve.id], 'danger_alert', '/safety/alerts');
      assert.ok(!((await eve.client.api('GET', '/notifications')).json.notifications as { url: string }[]).some((n) => n.url.endsWith(id)), 'the alarm’s notification is past the newest 50');
      assert.deepEqual(await alarmIds(eve), [id], 'still listed');
      assert.match((await eve.client.get('/safety')).text, new RegExp(`href="/safety/checkins/${id}"`), 'and on the safety page');
      assert.deepEqual(await alarmIds(cat), [], 'not to someone who is not a chosen buddy');
      await dee.client.api('POST', `/checkins/${id}/safe`);
      assert.deepEqual(await alarmIds(eve), [], 'gone once the worker is safe');
    });

    itReadsSqliteFile('marks the alarm and writes the buddies’ notifications in one transaction: a failed write leaves the check-in open, and the next scan raises it', async () => {
      const started = await dee.client.api('POST', '/checkins', { expectedEnd: clock.now() + 60_000, buddies: [eve.handle] });
      const id = started.json.checkin.id as string;
      // A second connection makes every new notification fail, as a full disk would, until the trigger is dropped.
      const db = new Database(inst.dbFile);
      try {
        db.exec("CREATE TRIGGER fail_notifications BEFORE INSERT ON c_notifications BEGIN SELECT RAISE(ABORT, 'no space left'); END");
        await clock.advance(60_000 + SCAN_MS);
        assert.equal((await dee.client.api('GET', `/checkins/${id}`)).json.checkin.status, 'open', 'not marked alerted while nobody could be told');
      } finally {
        db.exec('DROP TRIGGER IF EXISTS fail_notifications');
        db.close();
      }
      await clock.advance(SCAN_MS);
      assert.equal((await dee.client.api('GET', `/checkins/${id}`)).json.checkin.status, 'alerted');
      const told = ((await eve.client.api('GET', '/notifications')).json.notifications as { kind: string; url: string }[]).filter((n) => n.url.endsWith(id));
      assert.deepEqual(told.map((n) => n.kind), ['buddy_overdue'], 'the buddy is told once');
    });

    it('gives a buddy the next steps: the worker’s last notes, the other buddies and the organisation’s contact route; the worker sees none of it', async () => {
      const contact = 'Call the hotline: +44 20 7946 0018\nSay "umbrella" so they know it is us.';
      assert.equal((await boss.client.api('PATCH', '/admin/settings', { alarmContact: contact })).status, 200);
      const earlier = await dee.client.api('POST', '/checkins', { minutes: 30, buddies: [eve.handle, fay.handle], notes: 'Hotel Azul, room 12' });
      await dee.client.api('POST', `/checkins/${earlier.json.checkin.id}/safe`);
      const sos = await dee.client.api('POST', '/sos');
      assert.equal(sos.status, 201, sos.text);
      const id = sos.json.checkin.id as string;

      const buddy = (await eve.client.api('GET', `/checkins/${id}`)).json.checkin;
      assert.equal(buddy.nextSteps.notes, 'Hotel Azul, room 12', 'an SOS without a check-in shows the last notes written for this buddy');
      assert.deepEqual(buddy.nextSteps.otherBuddies, [fay.handle]);
      assert.equal(buddy.nextSteps.contact, contact);
      assert.equal(sos.json.checkin.nextSteps, null, 'the worker is not given the buddies’ steps');

      await fay.client.api('POST', `/checkins/${id}/handling`);
      const page = (await eve.client.get(`/safety/checkins/${id}`)).text;
      assert.match(page, /What to do next/);
      assert.match(page, /Hotel Azul, room 12/);
      assert.match(page, /Call the hotline: \u2066\+44 20 7946 0018\u2069\nSay &quot;umbrella&quot;/);
      assert.match(page, new RegExp(`Other buddies told: ${fay.handle}`));
      assert.match(page, new RegExp(`Handling it: ${fay.handle}`), 'who else is handling it');
      assert.match(page, new RegExp(`SOS from ${dee.handle}`));

      // The page's own content: the live banner's texts for when a buddy of hers needs help are on every page.
      const own = main((await dee.client.get(`/safety/checkins/${id}`)).text);
      assert.match(own, /Your SOS was sent to your buddies/);
      assert.doesNotMatch(own, /SOS from|check on them|What to do next|hotline/, 'the worker reads what is meant for them, not the buddies’ message');
    });

    it('tells a buddy plainly when the organisation has set no contact route, and the worker of an overdue check-in what happened', async () => {
      const id = await overdue(15);
      const page = (await eve.client.get(`/safety/checkins/${id}`)).text;
      assert.match(page, /The organisation has not written its contact route yet/);
      assert.match(page, /They left no notes for this check-in/);
      assert.match(page, /Nobody has said they are handling this yet/);
      const own = main((await dee.client.get(`/safety/checkins/${id}`)).text);
      assert.match(own, /Your buddies were told you have not checked in/);
      assert.doesNotMatch(own, /Please check on them/);
    });

    it('offers check-ins of 10 and 15 minutes, and starts them', async () => {
      const hub = (await dee.client.get('/safety')).text;
      for (const m of [10, 15]) assert.match(hub, new RegExp(`<option value="${m}" >${m} minutes</option>`));
      const started = await dee.client.submit('/safety', '/safety/checkins', { minutes: '10', buddies: eve.handle, notes: '' });
      assert.equal(started.status, 303, started.text.slice(0, 300));
      const checkin = (await dee.client.api('GET', '/checkins')).json.checkins[0];
      assert.equal(checkin.expectedEnd - clock.now(), 10 * 60_000);
    });

    it('lets only admins set the contact route; refuses control characters and over 1000 characters, changing nothing', async () => {
      assert.equal((await dee.client.api('PATCH', '/admin/settings', { alarmContact: 'x' })).status, 403);
      for (const bad of ['call\u0007me', 'x'.repeat(1001), 42]) {
        const reply = await boss.client.api('PATCH', '/admin/settings', { alarmContact: bad });
        assert.equal(reply.status, 422, reply.text);
        assert.ok(reply.json.error.fields.alarmContact, reply.text);
      }
      const form = await boss.client.submit('/admin', '/admin/settings', { alarmContact: 'Ring Maria first' });
      assert.equal(form.status, 200);
      assert.match(form.text, /<textarea id="f-alarmContact" name="alarmContact"[^>]*>Ring Maria first<\/textarea>/);
      assert.equal((await boss.client.api('GET', '/admin/settings')).json.settings.alarmContact, 'Ring Maria first');
    });
  });

  describe('danger alerts', () => {
    let areaId: string;
    before(async () => {
      areaId = (await boss.client.api('POST', '/areas', { name: 'Station quarter' })).json.area.id;
      await cat.client.api('PUT', '/me/urgent-areas', { areaIds: [areaId] });
    });

    it('posts an alert for an area, tells the area’s subscribers, and lists it', async () => {
      const posted = await ana.client.api('POST', '/alerts', { area: areaId, kind: 'raid', text: 'Police at the station now', hours: 2 });
      assert.equal(posted.status, 201, posted.text);
      assert.ok((await notificationKinds(cat)).some((n) => n.kind === 'danger_alert'), 'the area’s subscriber is told of the alert');
      const listed = await bea.client.api('GET', `/alerts?area=${areaId}`);
      assert.equal(listed.json.alerts[0].text, 'Police at the station now');
    });

    it('refuses an alert with no area, an unknown area, no text or a lifetime over 7 days', async () => {
      for (const [body, message] of [
        [{ kind: 'raid', text: 'x y z' }, /Choose an area/],
        [{ area: 'nowhere', kind: 'raid', text: 'x y z' }, /areas in the list/],
        [{ area: areaId, kind: 'raid', text: '' }, /At least 3/],
        [{ area: areaId, kind: 'raid', text: 'x y z', hours: 200 }, /At most 168/],
      ] as const) {
        const reply = await ana.client.api('POST', '/alerts', body);
        assert.equal(reply.status, 422, reply.text);
        assert.match([reply.json.error.message, ...Object.values(reply.json.error.fields ?? {})].join(' '), message);
      }
    });

    it('lets the author or a moderator remove an alert, not others', async () => {
      const posted = await ana.client.api('POST', '/alerts', { area: areaId, kind: 'other', text: 'Broken street light' });
      assert.equal((await bea.client.api('DELETE', `/alerts/${posted.json.alert.id}`)).status, 403);
      assert.equal((await boss.client.api('DELETE', `/alerts/${posted.json.alert.id}`)).status, 204);
    });

    itReadsSqliteFile('deletes alerts at the end of their lifetime', async () => {
      await ana.client.api('POST', '/alerts', { area: areaId, kind: 'dangerous_person', text: 'gone tomorrow', hours: 24 });
      await inst.parasol.ctx.store.sweepExpired(Date.now() + 25 * 3_600_000);
      const db = new Database(inst.dbFile, { readonly: true });
      const left = db.prepare("SELECT count(*) AS n FROM c_alerts WHERE doc LIKE '%gone tomorrow%'").get() as { n: number };
      db.close();
      assert.equal(left.n, 0);
    });
  });

  describe('incidents', () => {
    let responder: Person;
    before(async () => {
      responder = await member(inst, 'responder');
      assert.equal((await boss.client.api('PUT', `/admin/accounts/${responder.handle}/responder`, { responder: true })).status, 200);
    });

    itReadsSqliteFile('goes from the member to the responders and back, with private notes, to closing', async () => {
      assert.equal((await new Client(inst.url).api('POST', '/incidents', { kind: 'robbery', description: 'x' })).status, 401);
      const reported = await ana.client.api('POST', '/incidents', { kind: 'robbery', description: 'Client took my phone', help: 'Someone to talk to', contact: 'Evenings' });
      assert.equal(reported.status, 201, reported.text);
      const id = reported.json.incident.id;
      assert.ok((await notificationKinds(responder)).some((n) => n.kind === 'incident_new'), 'the responder is told of the incident');
      const queue = await responder.client.api('GET', '/incidents');
      assert.ok(queue.json.incidents.some((i: { id: string }) => i.id === id), 'the incident is in the responder’s queue');
      assert.equal((await bea.client.api('GET', `/incidents/${id}`)).status, 404, 'other members never see it');
      assert.equal((await bea.client.api('PATCH', `/incidents/${id}`, { status: 'closed' })).status, 403);
      await responder.client.api('PATCH', `/incidents/${id}`, { status: 'acknowledged' });
      await responder.client.api('POST', `/incidents/${id}/messages`, { body: 'We are here. Are you safe now?' });
      await responder.client.api('POST', `/incidents/${id}/messages`, { body: 'Known robber, see review board', internal: true });
      const memberView = await ana.client.api('GET', `/incidents/${id}`);
      assert.equal(memberView.json.incident.status, 'acknowledged');
      assert.equal(memberView.json.incident.messages.length, 1, 'internal notes are for responders only');
      assert.equal(memberView.json.incident.reporter, null);
      await ana.client.api('POST', `/incidents/${id}/messages`, { body: 'Yes, thank you' });
      const responderView = await responder.client.api('GET', `/incidents/${id}`);
      assert.equal(responderView.json.incident.messages.length, 3);
      assert.equal(responderView.json.incident.reporter, ana.handle);
      assert.equal((await responder.client.api('PATCH', `/incidents/${id}`, { status: 'closed' })).status, 200);
      assert.equal((await ana.client.api('POST', `/incidents/${id}/messages`, { body: 'one more' })).status, 409);
      const print = await ana.client.get(`/safety/incidents/${id}/print`);
      assert.match(print.text, /Client took my phone/);
      await inst.parasol.ctx.store.sweepExpired(Date.now() + 91 * 86_400_000);
      const db = new Database(inst.dbFile, { readonly: true });
      const left = db.prepare("SELECT count(*) AS n FROM c_incidents WHERE doc LIKE '%Client took my phone%'").get() as { n: number };
      const notes = db.prepare("SELECT count(*) AS n FROM c_incident_messages WHERE doc LIKE '%Known robber%'").get() as { n: number };
      // What the incident's row held, should it still be there: its status and expiry tell which step did not happen.
      const row = db.prepare("SELECT json_extract(doc, '$.status') AS status, json_extract(doc, '$.expiresAt') AS expiresAt FROM c_incidents WHERE id = ?").get(id);
      db.close();
      assert.equal(left.n, 0, `the closed incident is still stored: ${JSON.stringify(row)}, swept at ${Date.now() + 91 * 86_400_000}`);
      assert.equal(notes.n, 0);
    });

    it('refuses a bad incident kind and an empty description', async () => {
      // The sweep above moved the clock past every session: sign in afresh.
      ana = await member(inst, 'ana');
      assert.equal((await ana.client.api('POST', '/incidents', { kind: 'alien', description: 'x y z' })).status, 422);
      assert.equal((await ana.client.api('POST', '/incidents', { kind: 'other', description: '' })).status, 422);
    });
  });

  it('refuses a Web Push endpoint on a private address outside tests (SSRF)', async () => {
    const strict = await startInstance();
    try {
      const who = await member(strict, 'strict');
      const reply = await who.client.api('POST', '/push/subscriptions', {
        endpoint: 'https://127.0.0.1/push',
        keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) },
      });
      assert.equal(reply.status, 422);
      assert.equal(reply.json.error.code, 'bad_url');
    } finally {
      await strict.close();
    }
  });
});

describe('check-in deadlines survive a restart', () => {
  itReadsSqliteFile('alerts at start the check-ins whose deadline passed while the server was down, and drops old client digests', async () => {
    const env = { CHECKIN_GRACE_SECONDS: '1', CHECKIN_SCAN_SECONDS: '3600' };
    const clock = new ManualClock();
    const first = await startInstance({ env, clock });
    const dataDir = first.dataDir;
    const ana = await member(first, 'ana');
    const bea = await member(first, 'bea');
    await pair(ana, bea);
    const started = await ana.client.api('POST', '/checkins', { expectedEnd: clock.now() + 500, buddies: [bea.handle] });
    assert.equal(started.status, 201);
    await first.parasol.close();
    // A row from before check-ins stopped keeping a digest of the client's identifier.
    const file = new Database(first.dbFile);
    file.prepare("UPDATE c_checkins SET doc = json_set(doc, '$.clientDigest', 'f00d') WHERE id = ?").run(started.json.checkin.id);
    file.close();
    // The server is down while the deadline passes; the next one starts two seconds later.
    const second = await startInstance({ env, dataDir, clock: new ManualClock(clock.now() + 2000) });
    try {
      const reread = new Database(second.dbFile, { readonly: true });
      const row = reread.prepare('SELECT doc FROM c_checkins WHERE id = ?').get(started.json.checkin.id) as { doc: string };
      reread.close();
      assert.ok(!('clientDigest' in JSON.parse(row.doc)), 'the digest is dropped at start');
      const bea2 = new Client(second.url);
      bea2.cookies.set('psl_session', bea.client.cookies.get('psl_session')!);
      const notes = await bea2.api('GET', '/notifications');
      assert.ok(notes.json.notifications.some((n: { kind: string; url: string }) => n.kind === 'buddy_overdue' && n.url.endsWith(started.json.checkin.id)), 'kept after a restart');
    } finally {
      await second.close();
      const fs = await import('node:fs');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
