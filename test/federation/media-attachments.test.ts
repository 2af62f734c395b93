import assert from 'node:assert/strict';
import type { Apex } from '../../federation/apex-types.js';
import { attachmentsToActivityPub, imagesFromActivityPub, isSensitive, type RemoteImageRef } from '../../federation/media-attachments.js';
import type { Store } from '../../server/store/port.js';
import { openTestApex } from './apex-harness.js';

/**
 * Photos as the fediverse sends them. The payloads are written in the shapes each server sends (its own terms in
 * its own @context), then also read the way Parasol's inbox reads them: after apex's JSON-LD compaction.
 */

const AS = 'https://www.w3.org/ns/activitystreams';
const PUBLIC = `${AS}#Public`;

const mastodonContext = [
  AS,
  {
    ostatus: 'http://ostatus.org#',
    atomUri: 'ostatus:atomUri',
    sensitive: 'as:sensitive',
    toot: 'http://joinmastodon.org/ns#',
    votersCount: 'toot:votersCount',
    blurhash: 'toot:blurhash',
    focalPoint: { '@container': '@list', '@id': 'toot:focalPoint' },
  },
];

/** A Mastodon status with two photos and a video, marked sensitive with a content warning. */
const mastodonNote = {
  '@context': mastodonContext,
  id: 'https://mastodon.example/users/rosa/statuses/113500442871',
  type: 'Note',
  summary: 'car of a client who hit a friend',
  inReplyTo: null,
  published: '2026-12-06T21:40:12Z',
  url: 'https://mastodon.example/@rosa/113500442871',
  attributedTo: 'https://mastodon.example/users/rosa',
  to: [PUBLIC],
  cc: ['https://mastodon.example/users/rosa/followers'],
  sensitive: true,
  content: '<p>Silver hatchback, seen twice near the station.</p>',
  attachment: [
    {
      type: 'Document',
      mediaType: 'image/jpeg',
      url: 'https://files.mastodon.example/media_attachments/files/113/500/442/original/5b1f0c2e.jpg',
      name: 'A silver hatchback parked under a street light; the number plate is readable.',
      blurhash: 'UBL_:rOpGG-;~qRjWBay00xu4nof?bM{M{of',
      focalPoint: [0.0, -0.25],
      width: 1600,
      height: 1200,
    },
    {
      type: 'Document',
      mediaType: 'video/mp4',
      url: 'https://files.mastodon.example/media_attachments/files/113/500/443/original/clip.mp4',
      name: null,
      blurhash: 'U45E$[ay00of~qj[M{ay00j[?bj[%Mj[ayj[',
      width: 640,
      height: 360,
    },
    {
      type: 'Document',
      mediaType: 'image/png',
      url: 'https://files.mastodon.example/media_attachments/files/113/500/444/original/map.png',
      name: 'Street map with the corner circled',
      blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
      focalPoint: [0.0, 0.0],
      width: 800,
      height: 600,
    },
  ],
  tag: [],
};

/** Lemmy 0.18: an image post's picture as a Link attachment without a media type, and again as `image`. */
const lemmyImagePage = {
  '@context': ['https://join-lemmy.org/context.json', AS],
  id: 'https://lemmy.example/post/88121',
  type: 'Page',
  attributedTo: 'https://lemmy.example/u/kim',
  to: ['https://lemmy.example/c/safety', PUBLIC],
  name: 'Police checkpoint on the ring road tonight',
  content: '<p>Two vans, stopping everyone.</p>\n',
  mediaType: 'text/html',
  attachment: [{ type: 'Link', href: 'https://lemmy.example/pictrs/image/0f3c9d1e.jpeg' }],
  image: { type: 'Image', url: 'https://lemmy.example/pictrs/image/0f3c9d1e.jpeg' },
  sensitive: false,
  language: { identifier: 'en', name: 'English' },
  published: '2026-12-06T20:01:44.172Z',
  audience: 'https://lemmy.example/c/safety',
};

/** Lemmy 0.19: the picture's Link says its media type and carries the alt text. */
const lemmyImagePageNew = {
  ...lemmyImagePage,
  id: 'https://lemmy.example/post/88122',
  attachment: [{ type: 'Link', href: 'https://lemmy.example/pictrs/image/7a2b.webp', mediaType: 'image/webp', name: 'Two police vans at a roadside checkpoint' }],
  image: { type: 'Image', url: 'https://lemmy.example/pictrs/image/7a2b.webp' },
};

/** A Lemmy link post: the Link is the article; `image` is the article's thumbnail. */
const lemmyLinkPage = {
  ...lemmyImagePage,
  id: 'https://lemmy.example/post/88123',
  name: 'New law on street-based work',
  attachment: [{ type: 'Link', href: 'https://news.example/2026/12/new-law' }],
  image: { type: 'Image', url: 'https://lemmy.example/pictrs/image/thumb-91c2.jpeg' },
};

/** Mbin: an Image attachment with Mastodon's blurhash and focal point, and the same URL again as `image`. */
const mbinPage = {
  '@context': [AS, 'https://w3id.org/security/v1', { toot: 'http://joinmastodon.org/ns#', blurhash: 'toot:blurhash', focalPoint: { '@container': '@list', '@id': 'toot:focalPoint' }, sensitive: 'as:sensitive' }],
  id: 'https://mbin.example/m/safety/t/5521',
  type: 'Page',
  attributedTo: 'https://mbin.example/u/lee',
  to: ['https://mbin.example/m/safety', PUBLIC],
  cc: [],
  name: 'Flyer from the outreach van',
  audience: 'https://mbin.example/m/safety',
  content: null,
  summary: 'Flyer from the outreach van #safety',
  mediaType: 'text/html',
  sensitive: false,
  attachment: [
    {
      type: 'Image',
      mediaType: 'image/jpeg',
      url: 'https://mbin.example/media/cache/resolve/entry_thumb/a1/b2/a1b2c3.jpg',
      name: 'A flyer listing the van’s stops and times',
      blurhash: 'LKO2?U%2Tw=w]~RBVZRi};RPxuwH',
      focalPoint: [0, 0],
      width: 1080,
      height: 1350,
    },
  ],
  image: { type: 'Image', url: 'https://mbin.example/media/cache/resolve/entry_thumb/a1/b2/a1b2c3.jpg' },
  published: '2026-12-05T10:00:00+00:00',
};

/** PieFed: an Image attachment with its alt text, the same URL as `image`, no media type. */
const piefedPage = {
  '@context': [AS, 'https://w3id.org/security/v1'],
  id: 'https://piefed.example/post/40312',
  type: 'Page',
  attributedTo: 'https://piefed.example/u/sam',
  audience: 'https://piefed.example/c/safety',
  to: ['https://piefed.example/c/safety', PUBLIC],
  cc: [],
  name: 'Safe corner near the clinic',
  content: '<p>Well lit, cameras off.</p>\n',
  mediaType: 'text/html',
  attachment: [{ type: 'Image', name: 'A well-lit corner next to a clinic door', url: 'https://piefed.example/static/media/posts/Qx/7d/Qx7dLm.png' }],
  image: { type: 'Image', url: 'https://piefed.example/static/media/posts/Qx/7d/Qx7dLm.png' },
  sensitive: false,
  stickied: false,
  published: '2026-12-04T18:22:10.112233+00:00',
};

/** NodeBB: Image attachments with mediaType and size but no alt text, and a Link for an uploaded PDF. */
const nodebbNote = {
  '@context': AS,
  id: 'https://forum.example/post/7741',
  type: 'Note',
  to: [PUBLIC],
  cc: ['https://forum.example/uid/12/followers'],
  inReplyTo: null,
  published: '2026-12-03T08:00:00.000Z',
  url: 'https://forum.example/post/7741',
  attributedTo: 'https://forum.example/uid/12',
  context: 'https://forum.example/topic/310',
  audience: 'https://forum.example/category/4',
  summary: null,
  name: 'Know your rights card',
  content: '<p>Print and keep in your bag.</p>',
  attachment: [
    { type: 'Image', mediaType: 'image/png', url: 'https://forum.example/assets/uploads/files/rights-card.png', width: 1240, height: 874 },
    { type: 'Link', mediaType: 'application/pdf', url: 'https://forum.example/assets/uploads/files/rights-card.pdf' },
  ],
};

/** Misskey: the note says nothing, each file says it is sensitive. */
const misskeyNote = {
  '@context': [AS, { sensitive: 'as:sensitive', misskey: 'https://misskey-hub.net/ns#' }],
  id: 'https://misskey.example/notes/9x2k4m1c',
  type: 'Note',
  attributedTo: 'https://misskey.example/users/9abc',
  content: '<p>bruises from last night</p>',
  published: '2026-12-06T23:12:01.000Z',
  to: [PUBLIC],
  cc: [],
  attachment: [{ type: 'Document', mediaType: 'image/webp', url: 'https://misskey.example/files/webpublic-2f0d.webp', name: null, sensitive: true }],
};

const bare = (url: string, mediaType: string | null = null): RemoteImageRef => ({ url, mediaType, alt: '', blurhash: null, width: null, height: null });

describe('media attachments', () => {
  describe('reading what peers send', () => {
    it('reads Mastodon’s Documents: photos with alt text, blurhash and size, not the video; sensitive from the Note', () => {
      assert.deepEqual(imagesFromActivityPub(mastodonNote), [
        {
          url: 'https://files.mastodon.example/media_attachments/files/113/500/442/original/5b1f0c2e.jpg',
          mediaType: 'image/jpeg',
          alt: 'A silver hatchback parked under a street light; the number plate is readable.',
          blurhash: 'UBL_:rOpGG-;~qRjWBay00xu4nof?bM{M{of',
          width: 1600,
          height: 1200,
        },
        {
          url: 'https://files.mastodon.example/media_attachments/files/113/500/444/original/map.png',
          mediaType: 'image/png',
          alt: 'Street map with the corner circled',
          blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
          width: 800,
          height: 600,
        },
      ]);
      assert.equal(isSensitive(mastodonNote), true);
      assert.equal(isSensitive({ ...mastodonNote, sensitive: false }), false);
    });

    it('reads Lemmy’s image posts old and new, once each, and never takes a link post’s link for an image', () => {
      assert.deepEqual(imagesFromActivityPub(lemmyImagePage), [bare('https://lemmy.example/pictrs/image/0f3c9d1e.jpeg')]);
      assert.deepEqual(imagesFromActivityPub(lemmyImagePageNew), [{ ...bare('https://lemmy.example/pictrs/image/7a2b.webp', 'image/webp'), alt: 'Two police vans at a roadside checkpoint' }]);
      assert.deepEqual(imagesFromActivityPub(lemmyLinkPage), [bare('https://lemmy.example/pictrs/image/thumb-91c2.jpeg')]);
      assert.equal(isSensitive(lemmyImagePage), false);
      assert.equal(isSensitive({ ...lemmyImagePage, sensitive: true }), true);
    });

    it('reads Mbin’s Image attachment with its blurhash, merged with the same URL given as `image`', () => {
      assert.deepEqual(imagesFromActivityPub(mbinPage), [
        {
          url: 'https://mbin.example/media/cache/resolve/entry_thumb/a1/b2/a1b2c3.jpg',
          mediaType: 'image/jpeg',
          alt: 'A flyer listing the van’s stops and times',
          blurhash: 'LKO2?U%2Tw=w]~RBVZRi};RPxuwH',
          width: 1080,
          height: 1350,
        },
      ]);
    });

    it('reads PieFed’s Image attachment and NodeBB’s Images, and leaves out NodeBB’s PDF link', () => {
      assert.deepEqual(imagesFromActivityPub(piefedPage), [{ ...bare('https://piefed.example/static/media/posts/Qx/7d/Qx7dLm.png'), alt: 'A well-lit corner next to a clinic door' }]);
      assert.deepEqual(imagesFromActivityPub(nodebbNote), [{ ...bare('https://forum.example/assets/uploads/files/rights-card.png', 'image/png'), width: 1240, height: 874 }]);
      assert.equal(isSensitive(nodebbNote), false);
    });

    it('takes Misskey’s per-file sensitive mark as the post’s', () => {
      assert.deepEqual(imagesFromActivityPub(misskeyNote), [bare('https://misskey.example/files/webpublic-2f0d.webp', 'image/webp')]);
      assert.equal(isSensitive(misskeyNote), true);
    });

    it('reads the same after apex’s JSON-LD compaction, as the inbox hands objects on', async () => {
      const { store, apex } = await openTestApex('https://parasol.example');
      try {
        for (const payload of [mastodonNote, lemmyImagePage, lemmyImagePageNew, lemmyLinkPage, mbinPage, piefedPage, nodebbNote, misskeyNote]) {
          const compacted = await apex.fromJSONLD(structuredClone(payload));
          assert.deepEqual(imagesFromActivityPub(compacted), imagesFromActivityPub(payload), payload.id);
          assert.equal(isSensitive(compacted), isSensitive(payload), `sensitive of ${payload.id}`);
        }
      } finally {
        await store.close();
      }
    });
  });

  describe('refusing what a server must not fetch', () => {
    const attach = (...urls: unknown[]) => ({ type: 'Note', attachment: urls.map((url) => ({ type: 'Image', mediaType: 'image/jpeg', url })) });

    it('keeps only https URLs without credentials', () => {
      const refused = [
        'http://plain.example/a.jpg',
        'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==',
        'https://user:secret@files.example/a.jpg',
        'https://token@files.example/a.jpg',
        'javascript:alert(1)',
        'ftp://files.example/a.jpg',
        '/media/relative.jpg',
        '//files.example/protocol-relative.jpg',
        'file:///etc/passwd',
        `https://files.example/${'a'.repeat(2100)}.jpg`,
        'not a url',
        42,
        null,
      ];
      assert.deepEqual(imagesFromActivityPub(attach(...refused)), []);
      assert.deepEqual(imagesFromActivityPub({ type: 'Page', image: 'http://plain.example/b.jpg' }), []);
      assert.deepEqual(imagesFromActivityPub({ type: 'Page', image: { type: 'Image', url: 'data:image/png;base64,iVBORw0KGgo=' } }), []);
      assert.deepEqual(imagesFromActivityPub(attach(...refused, 'https://files.example/ok.jpg')).map((i) => i.url), ['https://files.example/ok.jpg']);
      // Where the instance may reach private addresses (its peers in tests), plain http too, and nothing else more.
      assert.deepEqual(imagesFromActivityPub(attach(...refused), 4, { allowHttp: true }).map((i) => i.url), ['http://plain.example/a.jpg']);
    });

    it('takes at most four, or fewer when asked, each URL once', () => {
      const urls = Array.from({ length: 7 }, (_, i) => `https://files.example/${i}.jpg`);
      assert.deepEqual(imagesFromActivityPub(attach(...urls)).map((i) => i.url), urls.slice(0, 4));
      assert.deepEqual(imagesFromActivityPub(attach(...urls), 2).map((i) => i.url), urls.slice(0, 2));
      assert.deepEqual(imagesFromActivityPub(attach(...urls), 40).length, 4, 'never more than four');
      assert.deepEqual(imagesFromActivityPub(attach(...urls), 0), []);
      assert.deepEqual(imagesFromActivityPub(attach(urls[0], urls[0], urls[1])).map((i) => i.url), urls.slice(0, 2));
    });

    it('leaves out what is not a still image, and bad sizes, blurhashes and alt texts', () => {
      const doc = (extra: Record<string, unknown>) => ({ type: 'Note', attachment: [{ type: 'Document', url: 'https://files.example/x', ...extra }] });
      assert.deepEqual(imagesFromActivityPub(doc({ mediaType: 'audio/ogg' })), []);
      assert.deepEqual(imagesFromActivityPub(doc({ mediaType: 'image/svg+xml; x' })), [], 'a media type with junk');
      assert.deepEqual(imagesFromActivityPub(doc({ mediaType: 'image/svg+xml' })), [], 'SVG, which can carry script');
      assert.deepEqual(imagesFromActivityPub(doc({})), [], 'a Document that does not say it is an image');
      assert.deepEqual(imagesFromActivityPub({ type: 'Note', attachment: [{ type: 'PropertyValue', name: 'x', value: 'https://files.example/x' }] }), []);
      const [odd] = imagesFromActivityPub(doc({ mediaType: 'image/jpeg', width: -5, height: 1.5, blurhash: '<script>', name: `\u202eevil\u0007 ${'x'.repeat(2000)}` }));
      assert.equal(odd!.width, null);
      assert.equal(odd!.height, null);
      assert.equal(odd!.blurhash, null);
      assert.equal(odd!.alt, `evil ${'x'.repeat(1495)}`);
      for (const nothing of [null, undefined, 'https://files.example/a.jpg', 42, [mastodonNote]]) assert.deepEqual(imagesFromActivityPub(nothing), []);
      for (const nothing of [null, 'sensitive', [mastodonNote], { sensitive: 'yes' }, { sensitive: 1 }]) assert.equal(isSensitive(nothing), false);
    });
  });

  describe('writing what peers read', () => {
    const photos = [
      { url: 'https://parasol.example/media/Vq3x9f2L0aZk', mediaType: 'image/jpeg', alt: 'A bruised forearm', width: 1536, height: 2048, blurhash: 'LKO2?U%2Tw=w]~RBVZRi};RPxuwH' },
      { url: 'https://parasol.example/media/P0kT71bnQ4cE', mediaType: 'image/webp', alt: 'Receipt from the hotel', width: 900, height: 1200, blurhash: null },
    ];
    let apex: Apex;
    let store: Store;
    before(async () => ({ apex, store } = await openTestApex('https://parasol.example')));
    after(async () => store?.close());

    it('writes one Document per photo, with its alt text as name and the blurhash where there is one', () => {
      assert.deepEqual(attachmentsToActivityPub(photos), [
        { type: 'Document', mediaType: 'image/jpeg', url: 'https://parasol.example/media/Vq3x9f2L0aZk', name: 'A bruised forearm', width: 1536, height: 2048, blurhash: 'LKO2?U%2Tw=w]~RBVZRi};RPxuwH' },
        { type: 'Document', mediaType: 'image/webp', url: 'https://parasol.example/media/P0kT71bnQ4cE', name: 'Receipt from the hotel', width: 900, height: 1200 },
      ]);
      assert.deepEqual(attachmentsToActivityPub([]), []);
    });

    it('survives apex’s JSON-LD round trip (stored, then served) with every field, and reads back as it was written', async () => {
      const note = {
        '@context': apex.context,
        id: 'https://parasol.example/ap/o/4c1d',
        type: 'Note',
        attributedTo: 'https://parasol.example/ap/u/ana',
        content: '<p>Evidence for the report</p>',
        sensitive: true,
        to: [PUBLIC],
        attachment: attachmentsToActivityPub(photos),
      };
      const stored = await apex.fromJSONLD(structuredClone(note));
      const served = JSON.parse(apex.stringifyPublicJSONLD(await apex.toJSONLD(stored))) as Record<string, unknown>;
      assert.deepEqual(served.attachment, note.attachment, 'what is served carries the same attachments');
      assert.equal(served.sensitive, true);
      const back = imagesFromActivityPub(served);
      assert.deepEqual(back, photos.map((p) => ({ url: p.url, mediaType: p.mediaType, alt: p.alt, blurhash: p.blurhash, width: p.width, height: p.height })));
    });
  });
});
