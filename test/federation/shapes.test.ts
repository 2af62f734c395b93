import assert from 'node:assert/strict';
import type { Request, Response } from 'express';
import { postShown, publicJsonReplacer, readPostObject, type PostObject } from '../../federation/as.js';
import type { Apex } from '../../federation/apex-types.js';
import { seedContextCache } from '../../federation/contexts.js';
import { compactActivity } from '../../federation/inbound/activity-checks.js';
import { announceHint } from '../../federation/remote-boards/mirror.js';
import type { Store } from '../../server/store/port.js';
import { openTestApex } from './apex-harness.js';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

function post(fields: Record<string, unknown>): PostObject {
  const read = readPostObject({ id: 'https://remote.example/p/1', attributedTo: 'https://remote.example/u/kim', ...fields });
  assert.ok(read.success, JSON.stringify(read.error));
  return read.data;
}

describe('reading and writing the shapes of other fediverse software', () => {
  it('writes the public collection in full in to and cc, and leaves out private keys', () => {
    const sent = JSON.parse(
      JSON.stringify({ to: 'as:Public', cc: ['Public', 'https://a.example/followers'], bto: ['x'], _meta: { k: 1 }, object: { to: ['as:Public'], name: 'as:Public' } }, publicJsonReplacer),
    ) as Record<string, unknown>;
    assert.deepEqual(sent, { to: PUBLIC, cc: [PUBLIC, 'https://a.example/followers'], object: { to: [PUBLIC], name: 'as:Public' } });
  });

  it('shows a summary as a content warning only on a sensitive Note, and as plain text elsewhere', () => {
    assert.equal(postShown(post({ type: 'Note', content: '<p>x</p>', summary: 'cw', sensitive: true })).contentWarning, 'cw');
    const unmarked = postShown(post({ type: 'Note', content: '<p>x</p>', summary: 'not a warning' }));
    assert.equal(unmarked.contentWarning, null);
    assert.equal(unmarked.html, '<p>not a warning</p><p>x</p>');
    const article = postShown(post({ type: 'Article', name: 'T', content: '<p>body</p>', summary: '<b>teaser</b> & more', sensitive: true }));
    assert.equal(article.contentWarning, null);
    assert.equal(article.html, '<p>teaser &amp; more</p><p>body</p>');
  });

  it('shows a link post’s link, and takes one without a body; refuses a link that is not http(s)', () => {
    const shown = postShown(post({ type: 'Page', name: 'Read this', attachment: [{ type: 'Link', href: 'https://news.example/a?b=1&c=2' }] }));
    assert.equal(shown.html, '<p><a href="https://news.example/a?b=1&amp;c=2">https://news.example/a?b=1&amp;c=2</a></p>');
    assert.equal(shown.title, 'Read this');
    // A link the body already shows is not repeated.
    const inBody = postShown(post({ type: 'Page', name: 'x', content: '<p><a href="https://news.example/b">here</a></p>', attachment: { type: 'Link', href: 'https://news.example/b' } }));
    assert.equal(inBody.html, '<p><a href="https://news.example/b">here</a></p>');
    assert.equal(readPostObject({ id: 'https://remote.example/p/2', type: 'Page', attributedTo: 'https://remote.example/u/kim', attachment: [{ type: 'Link', href: 'javascript:alert(1)' }] }).success, false);
  });

  it('titles a thread without a name with its first words, cut between words', () => {
    const long = postShown(post({ type: 'Note', content: `<p>${'word '.repeat(40)}</p>` })).title;
    assert.ok(long.length <= 80 && long.endsWith('…') && !long.includes('wor…'), long);
    assert.equal(postShown(post({ type: 'Note', content: '<p>Short &amp; sweet</p>' })).title, 'Short & sweet');
    assert.equal(postShown(post({ type: 'Page', name: '  Named  ', content: '<p>x</p>' })).title, 'Named');
  });

  it('reads from an Announce the type of the activity it carries and its object’s IRI, and nothing from other shapes', () => {
    assert.deepEqual(announceHint({ object: { type: 'Create', object: { id: 'https://m.example/s/1' } } }), { type: 'Create', objectIri: 'https://m.example/s/1' });
    assert.deepEqual(announceHint({ object: [{ type: 'Update', object: 'https://m.example/s/1' }] }), { type: 'Update', objectIri: 'https://m.example/s/1' });
    assert.deepEqual(announceHint({ object: 'https://m.example/s/1/activity' }), {});
    assert.deepEqual(announceHint(null), {});
  });

  describe('read as JSON-LD', () => {
    let store: Store;
    let apex: Apex;
    before(async () => {
      const opened = await openTestApex('https://parasol.example');
      ({ store, apex } = opened);
      await seedContextCache(opened.apexStore);
    });
    after(async () => store.close());

    const compact = (body: unknown) =>
      new Promise<{ body: Record<string, unknown>; error: unknown }>((resolve) => {
        const req = { body } as Request;
        compactActivity(apex)(req, {} as Response, (error?: unknown) => resolve({ body: req.body as Record<string, unknown>, error }));
      });

    it('takes Pleroma’s EmojiReact under the litepub context as an EmojiReact', async () => {
      for (const context of ['https://pleroma.example/schemas/litepub-0.1.jsonld', 'https://litepub.social/litepub/context.jsonld']) {
        const { body, error } = await compact({
          '@context': ['https://www.w3.org/ns/activitystreams', context],
          id: 'https://pleroma.example/activities/1',
          type: 'EmojiReact',
          actor: 'https://pleroma.example/users/kim',
          object: 'https://parasol.example/ap/o/ab',
          content: '🤗',
        });
        assert.equal(error, undefined);
        assert.equal(body.type, 'EmojiReact', context);
      }
    });

    it('refuses a body that is not an activity (400)', async () => {
      const { error } = await compact({ '@context': 'https://www.w3.org/ns/activitystreams', type: 'Note' });
      assert.equal((error as { status?: number }).status, 400);
    });
  });
});
