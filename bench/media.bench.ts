import sharp from 'sharp';
import { percentile, report, startServer, timed, type BenchInstance } from './lib.js';

/**
 * Photos: a 4,000 x 3,000 phone JPEG of about 4 MB uploaded with a forum reply and processed (decoded, turned
 * upright, re-encoded to 2,048 px and a thumbnail, stored in the database), one at a time for the latency, then
 * four at once for the server's peak memory; and the thumbnail's size.
 * Run: npm run bench:media
 */
const UPLOADS = 12;
const AT_ONCE = 4;
/** Replies are rate-limited per member (10 a minute): the uploads are shared among a few members. */
const MEMBERS = 3;

/** A photo-like picture: smooth light with fine grain, which JPEG compresses about as it does a phone photo. */
async function phonePhoto(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const raw = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const grain = (seed >> 16) % 24;
      const i = (y * width + x) * 3;
      raw[i] = Math.min(255, (x * 255) / width / 1.2 + grain);
      raw[i + 1] = Math.min(255, (y * 255) / height / 1.3 + grain);
      raw[i + 2] = Math.min(255, ((x + y) % 512) / 2 + grain);
    }
  }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  let best = await image.clone().jpeg({ quality: 90 }).toBuffer();
  for (const quality of [92, 88, 85, 80, 75]) {
    const made = await image.clone().jpeg({ quality }).toBuffer();
    if (Math.abs(made.length - 4e6) < Math.abs(best.length - 4e6)) best = made;
  }
  return best;
}

async function upload(server: BenchInstance, cookie: string, threadId: string, photo: Buffer): Promise<{ url: string; thumbUrl: string }> {
  const form = new FormData();
  form.append('body', JSON.stringify({ body: 'A photo for the bench.' }));
  form.append('photos', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'IMG_2041.jpg');
  form.append('alt', 'A street');
  const res = await fetch(`${server.url}/api/v1/threads/${threadId}/posts`, { method: 'POST', body: form, headers: { cookie, 'x-requested-with': 'bench' } });
  const json = (await res.json()) as { photos?: { url: string; thumbUrl: string }[] };
  if (res.status !== 201 || !json.photos?.[0]) throw new Error(`upload answered ${res.status}: ${JSON.stringify(json)}`);
  return json.photos[0];
}

async function main(): Promise<void> {
  const photo = await phonePhoto();
  const server = await startServer({ PHOTOS_PER_MEMBER_PER_DAY: '10000', PHOTOS_PER_INSTANCE_PER_DAY: '100000' });
  try {
    const cookies: string[] = [];
    for (let m = 0; m < MEMBERS; m++) {
      const signup = await fetch(`${server.url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: `bench_photos_${m}`, passphrase: 'a benchmark passphrase' }) });
      if (signup.status !== 201) throw new Error(`sign-up answered ${signup.status}`);
      cookies.push(signup.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '));
    }
    let turn = 0;
    const next = (): string => cookies[turn++ % MEMBERS]!;
    const cookie = cookies[0]!;
    const thread = await fetch(`${server.url}/api/v1/boards/general/threads`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Photos', body: 'Bench thread.' }) });
    const threadId = ((await thread.json()) as { thread: { id: string } }).thread.id;

    const times: number[] = [];
    let last: { url: string; thumbUrl: string } | null = null;
    // The first upload warms libvips and the code paths up; it is not counted.
    await upload(server, next(), threadId, photo);
    for (let i = 0; i < UPLOADS; i++) {
      const [stored, ms] = await timed(() => upload(server, next(), threadId, photo));
      times.push(ms);
      last = stored;
    }
    const thumb = Buffer.from(await (await fetch(server.url + last!.thumbUrl, { headers: { cookie } })).arrayBuffer());
    const large = Buffer.from(await (await fetch(server.url + last!.url, { headers: { cookie } })).arrayBuffer());

    const idleRss = server.rssMb();
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, server.rssMb());
    }, 25);
    const [, concurrentMs] = await timed(() => Promise.all(Array.from({ length: AT_ONCE }, () => upload(server, next(), threadId, photo))));
    clearInterval(sampler);
    peakRss = Math.max(peakRss, server.rssMb());

    const met = report(`Photos: a ${(photo.length / 1e6).toFixed(1)} MB 4,000 x 3,000 JPEG per upload`, [
      { name: 'upload and processing, p50', value: percentile(times, 50), unit: 'ms', target: { value: 400, better: 'lower' } },
      { name: 'upload and processing, p90', value: percentile(times, 90), unit: 'ms' },
      { name: `${AT_ONCE} uploads at once, all done`, value: concurrentMs, unit: 'ms' },
      { name: 'server RSS, idle after uploads', value: idleRss, unit: 'MB' },
      { name: `server RSS, peak with ${AT_ONCE} uploads at once`, value: peakRss, unit: 'MB', target: { value: 400, better: 'lower' } },
      { name: 'thumbnail', value: thumb.length / 1024, unit: 'KB', target: { value: 15, better: 'lower' } },
      { name: 'large variant (2,048 px)', value: large.length / 1024, unit: 'KB' },
    ]);
    process.exitCode = met ? 0 : 1;
  } finally {
    await server.stop();
  }
}

await main();
