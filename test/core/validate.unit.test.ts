import assert from 'node:assert/strict';
import type { Request } from 'express';
import { z } from 'zod';
import { AppError, fieldError } from '../../server/core/errors.js';
import { hasBadText, parseInput } from '../../server/core/validate.js';
import { formBody } from '../../server/http/pages.js';
import { settingsInput, isPublicHost } from '../../server/instance/instance.schemas.js';
import { boardInput } from '../../server/forums/forums.schemas.js';
import { muteInput } from '../../server/rooms/rooms.schemas.js';
import { alertInput, extendInput } from '../../server/safety/safety.schemas.js';

/** The AppError parseInput throws for `input`, or fails the test when it accepts it. */
function refusal(schema: z.ZodType, input: unknown): AppError {
  try {
    parseInput(schema, input);
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

describe('input validation shared by every schema', () => {
  const post = z.strictObject({ title: z.string().max(200), body: z.string(), tags: z.array(z.string()).optional() });

  it('refuses a NUL byte or a lone surrogate in any text, however deep, and names the field', () => {
    for (const [input, field] of [
      [{ title: 'a\u0000b', body: 'x' }, 'title'],
      [{ title: 'ok', body: 'half a pair \uD83D here' }, 'body'],
      [{ title: 'ok', body: 'a low one \uDE00 alone' }, 'body'],
      [{ title: 'ok', body: 'x', tags: ['fine', 'bad\u0000'] }, 'tags.1'],
    ] as const) {
      const error = refusal(post, input);
      assert.equal(error.status, 422);
      assert.equal(error.fields[field]?.key, 'layout.bad_characters', JSON.stringify(error.fields));
    }
    // A key of the object itself is text the person sent, too.
    assert.equal(refusal(z.record(z.string(), z.string()), { 'k\u0000': 'v' }).status, 422);
  });

  it('keeps every real character: emoji (surrogate pairs), right-to-left text, Burmese, newlines', () => {
    const body = 'مرحبا 👋🏽 မင်္ဂလာပါ\nline two\ttab';
    assert.deepEqual(parseInput(post, { title: 'ok', body }), { title: 'ok', body });
    assert.equal(hasBadText(body), false);
  });

  it('takes numbers only as numbers in JSON: "60" is refused where 60 is taken', () => {
    for (const [schema, good, bad] of [
      [muteInput, { minutes: 60 }, { minutes: '60' }],
      [extendInput, { minutes: 30 }, { minutes: '30' }],
      [alertInput, { area: 'north', kind: 'raid', text: 'raids tonight', hours: 24 }, { area: 'north', kind: 'raid', text: 'raids tonight', hours: '24' }],
      [boardInput, { slug: 'chat', name: 'Chat', slowModeSeconds: 10 }, { slug: 'chat', name: 'Chat', slowModeSeconds: '10' }],
    ] as const) {
      assert.doesNotThrow(() => parseInput(schema, good));
      const error = refusal(schema, bad);
      const [field] = Object.keys(error.fields);
      assert.equal(error.fields[field!]!.key, 'validation.wrong_type', JSON.stringify(error.fields));
    }
  });

  it('a form decodes the number fields it names, and only those; what is not a whole number stays text for the schema to refuse', () => {
    const req = { body: { _csrf: 't', minutes: '60', hours: '', title: '2026', days: ['1', '7'], weird: '1e3' } } as unknown as Request;
    assert.deepEqual(formBody(req, ['minutes', 'hours', 'days', 'weird']), { minutes: 60, title: '2026', days: 7, weird: '1e3' });
    assert.deepEqual(formBody({ body: { title: '12' } } as unknown as Request), { title: '12' });
  });

  it('names the field in the message by what the person calls it, never by its name in the code', () => {
    assert.equal(refusal(post, { title: 5, body: 'x' }).params.field, 'title');
    assert.equal(fieldError('identifiers.0', 'validation.phone_format').params.field, 'identifier');
    assert.equal(fieldError('quickExitUrl', 'validation.https_url').params.field, 'address');
    assert.equal(fieldError('someInternalThing', 'validation.invalid').params.field, 'other');
  });
});

describe('the quick exit address', () => {
  it('must be public https: no loopback, private, link-local or local names, in any spelling', () => {
    for (const bad of [
      'https://127.0.0.1/',
      'https://127.1/',
      'https://2130706433/',
      'https://0x7f000001/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://10.0.0.8/',
      'https://172.16.4.2/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest',
      'https://100.64.0.1/',
      'https://[fd00::1]/',
      'https://[fe80::1]/',
      'https://localhost/',
      'https://app.localhost/',
      'https://router.local/',
      'https://wiki.internal/',
      'https://printer.home.arpa/',
      'https://intranet/',
      'https://0.0.0.0/',
      'http://example.org/',
    ]) {
      const error = refusal(settingsInput, { quickExitUrl: bad });
      assert.ok(['layout.public_url', 'validation.https_url'].includes(error.fields.quickExitUrl?.key ?? ''), `${bad}: ${JSON.stringify(error.fields)}`);
    }
    for (const good of ['https://www.bbc.com/weather', 'https://news.example.org/today', 'https://8.8.8.8/', 'https://[2001:4860:4860::8888]/']) {
      assert.doesNotThrow(() => parseInput(settingsInput, { quickExitUrl: good }), good);
    }
    assert.equal(isPublicHost('weather.com.'), true);
  });

  it('the country is a real one', () => {
    assert.equal(parseInput(settingsInput, { defaultCountry: 'eg' }).defaultCountry, 'EG');
    assert.equal(refusal(settingsInput, { defaultCountry: 'XX' }).fields.defaultCountry?.key, 'layout.country_unknown');
    assert.equal(refusal(settingsInput, { defaultCountry: 'EGY' }).fields.defaultCountry?.key, 'validation.country');
  });
});
