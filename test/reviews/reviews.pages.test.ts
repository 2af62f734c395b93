import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

/** Screening and posting reviews with plain forms, as on a phone without JavaScript. */
describe('review board pages without JavaScript', () => {
  let inst: TestInstance;
  let mod: Person;
  let ana: Person;
  let bea: Person;

  before(async () => {
    inst = await startInstance();
    mod = await moderator(inst, await admin(inst));
    ana = await member(inst, 'ana');
    bea = await member(inst, 'bea');
  });
  after(async () => inst.close());

  it('sends visitors to log in', async () => {
    const reply = await new Client(inst.url).get('/reviews');
    assert.equal(reply.status, 303);
    assert.match(reply.headers.get('location')!, /^\/login\?next=/);
  });

  it('posts a warning through the form, a moderator publishes it, another worker screens the number typed differently and corroborates', async () => {
    const posted = await ana.client.submit('/reviews/client-screening/new', '/reviews/client-screening/new', {
      kind: 'warning',
      categories: 'robbery',
      severity: 'high',
      incidentMonth: '2026-10',
      idType0: 'phone',
      idValue0: '+1 (555) 010-7788',
      idPlatform0: '',
      idType1: 'phone',
      idValue1: '',
      idPlatform1: '',
      idType2: 'phone',
      idValue2: '',
      idPlatform2: '',
      descriptors: 'Blue jacket',
      body: 'Took the money back at knifepoint.',
    });
    assert.equal(posted.status, 303, posted.text.slice(0, 500));
    const reviewPath = posted.headers.get('location')!;
    const own = await ana.client.get(reviewPath);
    assert.match(own.text, /Waiting for a moderator/);

    const published = await mod.client.submit(reviewPath, `${reviewPath}/moderate`, { action: 'publish', reason: '', question: '', descriptors: 'Blue jacket' });
    assert.equal(published.status, 303);

    const screen = await bea.client.submit('/reviews/client-screening', '/reviews/client-screening/screen', { type: 'phone', value: '555-010-7788', platform: '' });
    assert.equal(screen.status, 200);
    assert.equal(screen.headers.get('cache-control'), 'no-store');
    assert.match(screen.text, /1 warning/);
    assert.match(screen.text, /knifepoint/);
    assert.doesNotMatch(screen.text, /555-010-7788"/, 'the typed number is not echoed into the page');

    const corroborated = await bea.client.submit(reviewPath, `${reviewPath}/respond`, { kind: 'corroborate', note: 'Me too, last month.' });
    assert.equal(corroborated.status, 303);
    assert.match((await bea.client.get(reviewPath)).text, /Me too, last month/);
  });

  it('offers a warning anonymously by default, with the choice to sign it', async () => {
    const form = await ana.client.get('/reviews/client-screening/new');
    assert.match(form.text, /<input type="radio" name="anonymous" value="on" checked> Post anonymously/);
    assert.match(form.text, /<input type="radio" name="anonymous" value="false" > Sign with my name/);
    assert.match(form.text, /Anonymous by default: other members do not see who wrote a warning/);
  });

  it('shows a clear error for an unparseable number and keeps the form', async () => {
    const reply = await bea.client.submit('/reviews/client-screening', '/reviews/client-screening/screen', { type: 'phone', value: 'not a number', platform: '' });
    assert.equal(reply.status, 422);
    assert.match(reply.text, /This is not a phone number/);
    const form = await ana.client.submit('/reviews/client-screening/new', '/reviews/client-screening/new', {
      kind: 'warning',
      categories: 'robbery',
      severity: 'high',
      incidentMonth: '2026-10',
      idType0: 'phone',
      idValue0: 'nonsense',
      descriptors: '',
      body: 'Text',
    });
    assert.equal(form.status, 422);
    assert.match(form.text, /This is not a phone number/);
    assert.match(form.text, /value="nonsense"/);
  });

  it('lets a member choose areas for urgent warnings', async () => {
    const areas = inst.parasol.ctx.areas;
    const boss = await admin(inst);
    const created = await boss.client.submit('/admin', '/admin/areas', { name: 'Old town' });
    assert.equal(created.status, 200);
    const area = areas.list().find((a) => a.name === 'Old town')!;
    const saved = await bea.client.submit('/reviews', '/reviews/urgent-areas', { areaIds: area.id });
    assert.equal(saved.status, 200);
    assert.match(saved.text, new RegExp(`value="${area.id}" checked`));
  });
});
