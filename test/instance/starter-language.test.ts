import assert from 'node:assert/strict';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client, handle, PASS } from '../helpers/client.js';
import { boardsCollection } from '../../server/forums/forums.collections.js';

describe('starter content in the language chosen at setup', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance();
  });
  after(() => inst?.close());

  it('setup keeps the country and language, and rewrites only the starter content nobody changed', async () => {
    const { ctx } = inst.parasol;
    const boards = ctx.store.collection(boardsCollection);
    const health = await boards.findOne({ slug: 'health' });
    await boards.patch(health!.id, { name: 'Our clinic talk' });
    const token = await ctx.instance.issueSetupToken();
    const browser = new Client(inst.url);
    const refused = await browser.submit(`/setup/${token}`, `/setup/${token}`, { handle: handle('boss'), passphrase: PASS, defaultCountry: 'XX', defaultLocale: 'fr' });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /Please check the country\./);
    assert.equal(ctx.instance.settings().defaultCountry, 'US', 'nothing was kept');
    assert.equal(await ctx.accounts.adminCount(), 0, 'no admin was made');

    const boss = handle('boss');
    const made = await browser.submit(`/setup/${token}`, `/setup/${token}`, { handle: boss, passphrase: PASS, defaultCountry: 'EG', defaultLocale: 'fr' });
    assert.equal(made.status, 201, made.text);
    assert.equal(ctx.instance.settings().defaultCountry, 'EG');
    assert.equal(ctx.instance.settings().defaultLocale, 'fr');
    const names = Object.fromEntries((await ctx.forums.boards.allBoards()).map((b) => [b.slug, [b.name, b.language]]));
    assert.deepEqual(names.general, [ctx.i18n.t('fr', 'starter.general'), 'fr']);
    assert.deepEqual(names.health, ['Our clinic talk', 'en'], 'a renamed board keeps its name');
    const reviewBoards = await ctx.reviews.listBoards((await ctx.accounts.byHandle(boss))!);
    assert.equal(reviewBoards[0]!.name, ctx.i18n.t('fr', 'starter.screening'));
    const resources = (await browser.api('GET', '/resources')).json.resources as { name: string; language: string }[];
    assert.deepEqual(resources.map((r) => [r.name, r.language]), [[ctx.i18n.t('fr', 'layout.seed_resource_name'), 'fr']]);
    // A local number is read as Egyptian, and a wrong one is named as such.
    const screen = await browser.api('POST', '/review-boards/client-screening/lookups', { identifier: { type: 'phone', value: '12' } });
    assert.equal(screen.status, 422, screen.text);
    assert.match(JSON.stringify(screen.json.error.fields), /Égypte/, 'the message names the country, in French');
    const local = await browser.api('POST', '/review-boards/client-screening/lookups', { identifier: { type: 'phone', value: '0100 123 4567' } });
    assert.equal(local.status, 200, local.text);
  });
});
