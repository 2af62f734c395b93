/**
 * BlurHash (https://blurha.sh), the short text Mastodon and Lemmy send with an image so that a reader can paint a
 * blurred stand-in before, or instead of, loading it. Encoded here from a tiny RGB copy of the picture the server
 * has already made: no third-party service, no extra dependency.
 */
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';

function base83(value: number, length: number): string {
  let out = '';
  for (let i = 1; i <= length; i++) out += DIGITS[Math.floor(value / 83 ** (length - i)) % 83];
  return out;
}

const toLinear = (value: number): number => {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};

const toSrgb = (value: number): number => {
  const v = Math.max(0, Math.min(1, value));
  return v <= 0.0031308 ? Math.round(v * 12.92 * 255 + 0.5) : Math.round((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5);
};

const signPow = (value: number, exp: number): number => Math.sign(value) * Math.abs(value) ** exp;

/** `pixels`: RGB bytes, `channels` per pixel (3 or 4, alpha ignored), row by row. 4 x 3 components, as Mastodon uses. */
export function encodeBlurhash(pixels: Uint8Array, width: number, height: number, channels: number, xComponents = 4, yComponents = 3): string {
  const linear = new Float64Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) linear[p * 3 + c] = toLinear(pixels[p * channels + c]!);
  }
  const factors: [number, number, number][] = [];
  for (let j = 0; j < yComponents; j++) {
    for (let i = 0; i < xComponents; i++) {
      const normalisation = i === 0 && j === 0 ? 1 : 2;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = 0; y < height; y++) {
        const cy = Math.cos((Math.PI * j * y) / height);
        for (let x = 0; x < width; x++) {
          const basis = cy * Math.cos((Math.PI * i * x) / width);
          const p = (y * width + x) * 3;
          r += basis * linear[p]!;
          g += basis * linear[p + 1]!;
          b += basis * linear[p + 2]!;
        }
      }
      const scale = normalisation / (width * height);
      factors.push([r * scale, g * scale, b * scale]);
    }
  }
  const [dc, ...ac] = factors as [[number, number, number], ...[number, number, number][]];
  let hash = base83(xComponents - 1 + (yComponents - 1) * 9, 1);
  let maxValue = 1;
  if (ac.length > 0) {
    const actualMax = Math.max(...ac.flatMap((f) => f.map(Math.abs)));
    const quantisedMax = Math.max(0, Math.min(82, Math.floor(actualMax * 166 - 0.5)));
    maxValue = (quantisedMax + 1) / 166;
    hash += base83(quantisedMax, 1);
  } else {
    hash += base83(0, 1);
  }
  hash += base83((toSrgb(dc[0]) << 16) + (toSrgb(dc[1]) << 8) + toSrgb(dc[2]), 4);
  for (const factor of ac) {
    const [qr, qg, qb] = factor.map((v) => Math.max(0, Math.min(18, Math.floor(signPow(v / maxValue, 0.5) * 9 + 9.5)))) as [number, number, number];
    hash += base83(qr * 19 * 19 + qg * 19 + qb, 2);
  }
  return hash;
}
