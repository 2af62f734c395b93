import crypto from 'node:crypto';
import zlib from 'node:zlib';

/**
 * Evidence export: an incident report's photos as one zip that a lawyer or a human-rights monitor can check without
 * trusting whoever handed it over.
 *
 * The zip holds the photos as stored, `manifest.json` (the incident id, each file's SHA-256 and the time the server
 * received it, and the plain statement that these are re-encoded copies without metadata) and `manifest.sig`: the
 * base64 signature of manifest.json's exact bytes.
 *
 * The signing key is the instance's own (server/instance/signing-key.ts): a 2048-bit RSA key kept with the
 * instance's secrets, which exists whether or not the instance federates, its public key published at
 * `https://<host>/evidence-key.pem` (the key id the manifest names) and on the page `/evidence-key` with its
 * fingerprint. The signature is RSASSA-PKCS1-v1_5 with SHA-256, which `openssl dgst -sha256 -verify` checks;
 * docs/evidence.md shows the commands. `instanceEvidenceSigner` makes the signer from that key.
 */

export interface EvidenceFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Hex SHA-256 recorded when the file was stored; checked again here. */
  readonly sha256: string;
  readonly receivedAt: number;
  readonly mediaType: string;
}

export interface EvidenceSigner {
  readonly keyId: string;
  /** The base64 signature of `data`. */
  sign(data: Uint8Array): Promise<string> | string;
}

/** What manifest.json says, in this order. */
export interface EvidenceManifest {
  readonly type: 'ParasolEvidenceManifest';
  readonly version: 1;
  readonly incidentId: string;
  readonly generatedAt: string;
  readonly statement: string;
  readonly signature: { readonly file: 'manifest.sig'; readonly keyId: string; readonly algorithm: string };
  readonly files: readonly { readonly name: string; readonly mediaType: string; readonly size: number; readonly sha256: string; readonly receivedAt: string }[];
}

export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';

const SIGNATURE_ALGORITHM = 'RSASSA-PKCS1-v1_5 with SHA-256 over the exact bytes of manifest.json, base64-encoded';

const STATEMENT =
  'The files in this archive are copies that the server made when it received the photos: each was decoded and ' +
  're-encoded, so it carries no metadata (no location, no device, no original time) and is not the original file. ' +
  'SHA-256 and receivedAt are those of the stored copy, recorded when the server received it. Whoever needs the ' +
  'original files for a court must get them from the person who took the photos.';

/** A file name that every unzip tool keeps as it is: no folders, no `..`, no names of the manifest's own files. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const ZIP_LIMIT = 0xffff_ffff;

/** The zip described above; throws if a file's bytes no longer match the SHA-256 recorded when it was stored. */
export async function buildEvidenceZip(incidentId: string, files: readonly EvidenceFile[], signer: EvidenceSigner, now: number): Promise<Uint8Array> {
  const names = new Set<string>([MANIFEST_NAME, SIGNATURE_NAME]);
  for (const file of files) {
    if (!SAFE_NAME.test(file.name) || names.has(file.name)) throw new Error(`evidence file name not allowed or repeated: ${JSON.stringify(file.name)}`);
    names.add(file.name);
    // An export must never vouch for bytes it did not check: a mismatch means the stored copy changed.
    if (sha256Hex(file.bytes) !== file.sha256.toLowerCase()) throw new Error(`evidence file ${file.name} does not match the SHA-256 recorded when it was stored`);
  }
  const manifest: EvidenceManifest = {
    type: 'ParasolEvidenceManifest',
    version: 1,
    incidentId,
    generatedAt: new Date(now).toISOString(),
    statement: STATEMENT,
    signature: { file: SIGNATURE_NAME, keyId: signer.keyId, algorithm: SIGNATURE_ALGORITHM },
    files: files.map((f) => ({ name: f.name, mediaType: f.mediaType, size: f.bytes.length, sha256: f.sha256.toLowerCase(), receivedAt: new Date(f.receivedAt).toISOString() })),
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const signature = await signer.sign(manifestBytes);
  return writeZip(
    [
      { name: MANIFEST_NAME, data: manifestBytes },
      { name: SIGNATURE_NAME, data: Buffer.from(`${signature}\n`, 'utf8') },
      ...files.map((f) => ({ name: f.name, data: f.bytes })),
    ],
    now,
  );
}

/** Signs with the instance's signing key (see the module comment): `keyId` is the address of its public key. */
export function instanceEvidenceSigner(key: { readonly keyId: string; readonly privateKeyPem: string }): EvidenceSigner {
  return { keyId: key.keyId, sign: (data) => crypto.sign('sha256', data, key.privateKeyPem).toString('base64') };
}

/** Whether `signature` (manifest.sig's text) signs `manifest` (manifest.json's bytes) with the key `publicKeyPem`. */
export function verifyEvidenceManifest(manifest: Uint8Array, signature: string, publicKeyPem: string): boolean {
  try {
    return crypto.verify('sha256', manifest, publicKeyPem, Buffer.from(signature.trim(), 'base64'));
  } catch {
    return false;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

/** MS-DOS date and time (UTC, two-second steps) as zip headers carry them; zip cannot say anything before 1980. */
function dosDateTime(ms: number): { date: number; time: number } {
  const d = new Date(Math.max(ms, Date.UTC(1980, 0, 1)));
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** What an entry's local header and its central directory record both say of it. */
interface EntryFields {
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly time: number;
  readonly date: number;
  readonly crc: number;
  /** As written in the zip. */
  readonly size: number;
  readonly originalSize: number;
  readonly nameLength: number;
}

/**
 * The run of fields the two headers share, in the same order (from "version needed to extract" to the name's
 * length): at offset 4 of a local header, 6 of a central directory record. Version 2.0; names flagged UTF-8.
 */
function writeEntryFields(header: Buffer, at: number, fields: EntryFields): void {
  header.writeUInt16LE(20, at);
  header.writeUInt16LE(0x0800, at + 2);
  header.writeUInt16LE(fields.method, at + 4);
  header.writeUInt16LE(fields.time, at + 6);
  header.writeUInt16LE(fields.date, at + 8);
  header.writeUInt32LE(fields.crc, at + 10);
  header.writeUInt32LE(fields.size, at + 14);
  header.writeUInt32LE(fields.originalSize, at + 18);
  header.writeUInt16LE(fields.nameLength, at + 22);
}

/**
 * A plain zip (no zip64, no encryption, no extra fields): each entry deflated when that makes it smaller, else
 * stored (photos are compressed already). Names are flagged UTF-8; files get mode 0644.
 */
function writeZip(entries: readonly ZipEntry[], now: number): Uint8Array {
  const { date, time } = dosDateTime(now);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const deflated = zlib.deflateRawSync(entry.data, { level: 9 });
    const stored = deflated.length >= entry.data.length;
    const body = stored ? Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength) : deflated;
    const crc = zlib.crc32(entry.data);

    const fields: EntryFields = { method: stored ? 0 : 8, time, date, crc, size: body.length, originalSize: entry.data.length, nameLength: name.length };

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, fields);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    writeEntryFields(central, 6, fields);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
    if (offset > ZIP_LIMIT) throw new Error('an evidence export must stay under 4 GiB');
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  if (entries.length > 0xffff || offset + centralSize > ZIP_LIMIT) throw new Error('an evidence export must stay under 4 GiB and 65,535 files');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, end]));
}
