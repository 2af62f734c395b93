import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';
import { admin, member, moderator, type Person } from '../helpers/people.js';

/** The resource directory through the JSON API. */
describe('resources API', () => {
  let inst: TestInstance;
  let boss: Person;
  let mod: Person;
  let alice: Person;
  let visitor: Client;
  let north: string;
  let south: string;

  before(async () => {
    inst = await startInstance();
    boss = await admin(inst);
    mod = await moderator(inst, boss);
    alice = await member(inst, 'alice');
    visitor = new Client(inst.url);
    north = (await boss.client.api('POST', '/areas', { name: 'North' })).json.area.id;
    south = (await boss.client.api('POST', '/areas', { name: 'South' })).json.area.id;
  });
  after(async () => inst.close());

  const all = async () => (await visitor.api('GET', '/resources')).json.resources as { id: string; name: string }[];
  const names = async (query: string) => ((await visitor.api('GET', `/resources${query}`)).json.resources as { name: string }[]).map((r) => r.name);

  it('starts with one placeholder entry that tells moderators what to list, with no invented contact', async () => {
    const [seed, ...rest] = await all();
    assert.deepEqual(rest, []);
    assert.equal((seed as unknown as { placeholder: boolean }).placeholder, true);
    assert.match(seed!.name, /placeholder/i);
    const s = seed as unknown as { name: string; hours: string; contact: string; description: string };
    assert.doesNotMatch([s.name, s.hours, s.contact, s.description].join(' '), /\d/, 'no phone numbers, no invented hours');
    assert.match(s.description, /Placeholder/);
  });

  it('lets a moderator add, change and remove resources; anyone reads them', async () => {
    const created = await mod.client.api('POST', '/resources', {
      name: 'Night clinic',
      kind: 'clinic',
      area: north,
      hours: 'Mon–Fri 18:00–22:00',
      contact: 'Market Street 4',
      description: 'Walk in, no names asked.',
      language: 'PT-br',
    });
    assert.equal(created.status, 201, created.text);
    const r = created.json.resource;
    assert.deepEqual(r.area, { id: north, name: 'North' });
    assert.equal(r.language, 'pt-BR', 'the language tag in its canonical spelling');
    assert.equal(r.placeholder, false);
    assert.equal((await visitor.api('GET', `/resources/${r.id}`)).json.resource.name, 'Night clinic');

    const defaults = await boss.client.api('POST', '/resources', { name: 'National legal aid line', kind: 'legal_aid' });
    assert.equal(defaults.status, 201);
    assert.equal(defaults.json.resource.area, null, 'no area: serves everywhere');
    assert.equal(defaults.json.resource.language, 'en', 'no language: the instance default');
    assert.equal(defaults.json.resource.hours, '');

    const patched = await mod.client.api('PATCH', `/resources/${r.id}`, { hours: '24/7', area: null });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.resource.hours, '24/7');
    assert.equal(patched.json.resource.area, null);
    assert.equal(patched.json.resource.name, 'Night clinic', 'fields not sent stay');
    await mod.client.api('PATCH', `/resources/${r.id}`, { area: north });

    assert.equal((await mod.client.api('DELETE', `/resources/${defaults.json.resource.id}`)).status, 204);
    assert.equal((await visitor.api('GET', `/resources/${defaults.json.resource.id}`)).status, 404);
  });

  it('filters by kind and by area; an area also lists what serves everywhere', async () => {
    await mod.client.api('POST', '/resources', { name: 'South testing van', kind: 'hiv_testing', area: south });
    await mod.client.api('POST', '/resources', { name: 'North shelter', kind: 'shelter', area: north });
    await mod.client.api('POST', '/resources', { name: 'Hotline for everyone', kind: 'hotline' });
    assert.deepEqual(await names(`?area=${north}`), ['Example clinic (placeholder)', 'Hotline for everyone', 'Night clinic', 'North shelter']);
    assert.deepEqual(await names(`?area=${south}`), ['Example clinic (placeholder)', 'Hotline for everyone', 'South testing van']);
    assert.deepEqual(await names('?kind=clinic'), ['Example clinic (placeholder)', 'Night clinic']);
    assert.deepEqual(await names(`?kind=hiv_testing&area=${north}`), []);
    assert.deepEqual(await names(`?kind=hotline&area=${south}`), ['Hotline for everyone']);
    assert.deepEqual(await names('?kind=&area='), await names(''), 'empty filters (as a GET form sends them) mean all');
  });

  it('refuses bad filters with a clear 422', async () => {
    for (const [query, field] of [
      ['?kind=spa', 'kind'],
      ['?area=nowhere', 'area'],
      ['?colour=red', '_'],
    ] as const) {
      const reply = await visitor.api('GET', `/resources${query}`);
      assert.equal(reply.status, 422, query);
      if (field === 'area') assert.equal(reply.json.error.code, 'unknown_area');
      else assert.ok(reply.json.error.fields[field], reply.text);
    }
  });

  it('lets members and visitors read but not add, change or remove', async () => {
    const before = await all();
    const id = before[0]!.id;
    const byMember = await alice.client.api('POST', '/resources', { name: 'Fake', kind: 'other' });
    assert.equal(byMember.status, 403);
    assert.equal(byMember.json.error.code, 'moderator_only');
    assert.equal((await alice.client.api('PATCH', `/resources/${id}`, { name: 'Fake' })).status, 403);
    assert.equal((await alice.client.api('DELETE', `/resources/${id}`)).status, 403);
    assert.equal((await visitor.api('POST', '/resources', { name: 'Fake', kind: 'other' })).status, 401);
    assert.equal((await visitor.api('DELETE', `/resources/${id}`)).status, 401);
    assert.deepEqual(await all(), before);
  });

  it('refuses bad resources with a clear 4xx and changes nothing', async () => {
    const before = await all();
    const target = before.find((r) => r.name === 'Night clinic')!.id;
    const good = { name: 'Fine', kind: 'clinic' };
    const cases: [unknown, string][] = [
      [{ kind: 'clinic' }, 'name'],
      [{ ...good, name: '   ' }, 'name'],
      [{ ...good, name: 'x'.repeat(121) }, 'name'],
      [{ ...good, name: 'Clinic\u0000' }, 'name'],
      [{ ...good, kind: 'spa' }, 'kind'],
      [{ name: 'No kind' }, 'kind'],
      [{ ...good, hours: 'x'.repeat(201) }, 'hours'],
      [{ ...good, contact: 'x'.repeat(301) }, 'contact'],
      [{ ...good, description: 'x'.repeat(1001) }, 'description'],
      [{ ...good, language: 'english please' }, 'language'],
      [{ ...good, language: 'e' }, 'language'],
      [{ ...good, area: 42 }, 'area'],
      [{ ...good, phone: '555' }, '_'],
    ];
    for (const [body, field] of cases) {
      const created = await mod.client.api('POST', '/resources', body);
      assert.equal(created.status, 422, `${JSON.stringify(body).slice(0, 80)}: ${created.text}`);
      assert.ok(created.json.error.fields[field], `${field} in ${created.text}`);
      if (typeof body === 'object' && body && 'kind' in body && 'name' in body) {
        const patched = await mod.client.api('PATCH', `/resources/${target}`, body);
        assert.equal(patched.status, 422, `PATCH ${JSON.stringify(body).slice(0, 80)}: ${patched.text}`);
      }
    }
    const unknownArea = await mod.client.api('POST', '/resources', { ...good, area: 'nowhere' });
    assert.equal(unknownArea.status, 422);
    assert.equal(unknownArea.json.error.code, 'unknown_area');
    assert.equal((await mod.client.api('PATCH', `/resources/${target}`, { area: 'nowhere' })).status, 422);
    assert.equal((await mod.client.api('PATCH', '/resources/no-such-id', { name: 'x' })).status, 404);
    assert.equal((await mod.client.api('DELETE', '/resources/no-such-id')).status, 404);
    assert.equal((await visitor.api('GET', '/resources/no-such-id')).status, 404);
    assert.deepEqual(await all(), before);
  });
});
