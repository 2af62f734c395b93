import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { canonicalJson, keyLookup, multikeyOf, privateKeyOfMultibase, provenBy, publicKeyOfMultikey, withProof, type KeyLookup } from '../../federation/integrity.js';

/*
 * FEP-8b32 proofs (eddsa-jcs-2022), checked against the example published with the specification: the key pair of
 * W3C's vc-di-eddsa test vectors (also used by FEP-8b32 and FEP-521a) and vc-di-eddsa's signed credential, whose
 * proof carries its own @context (the proof configuration takes the document's either way).
 */

const SECRET = 'z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq';
const PUBLIC_KEY = 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';
const ALICE = 'https://server.example/users/alice';

/** FEP-8b32's example activity, signed with the published key. */
const fepCreate = () =>
  withProof(
    {
      '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v1'],
      type: 'Create',
      actor: ALICE,
      object: { type: 'Note', content: 'Hello world' },
    },
    { verificationMethod: `${ALICE}#ed25519-key`, privateKey: privateKeyOfMultibase(SECRET)! },
    new Date('2023-02-24T23:36:38Z'),
  ) as Record<string, unknown> & { object: { content: string }; proof: Record<string, unknown> };

const w3cCredential = () => {
  const context = ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'];
  return {
    '@context': context,
    id: 'urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33',
    type: ['VerifiableCredential', 'AlumniCredential'],
    name: 'Alumni Credential',
    description: 'A minimum viable example of an Alumni Credential.',
    issuer: 'https://vc.example/issuers/5678',
    validFrom: '2023-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
    proof: {
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-jcs-2022',
      created: '2023-02-24T23:36:38Z',
      verificationMethod: `did:key:${PUBLIC_KEY}#${PUBLIC_KEY}`,
      proofPurpose: 'assertionMethod',
      '@context': context,
      proofValue: 'z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX',
    },
  };
};

/** Alice's published key, as her actor's assertionMethod would give it. */
const alicesKey: KeyLookup = async (method) => (method === `${ALICE}#ed25519-key` || method.startsWith('did:key:') ? { controller: ALICE, publicKey: publicKeyOfMultikey(PUBLIC_KEY)! } : null);

describe('FEP-8b32 integrity proofs (eddsa-jcs-2022)', () => {
  it('canonicalises JSON as RFC 8785 does (key order by UTF-16 code units, numbers as ECMAScript writes them)', () => {
    assert.equal(canonicalJson({ b: [1, 'x', null, true], a: { d: 1e21, c: 0.1 } }), '{"a":{"c":0.1,"d":1e+21},"b":[1,"x",null,true]}');
    assert.equal(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, 'ö': 4 }), '{"\\r":2,"ö":4,"€":1,"😀":3}');
    assert.equal(canonicalJson({ skipped: undefined, s: 'é\u2028"' }), '{"s":"é\u2028\\""}');
    assert.throws(() => canonicalJson({ n: Number.NaN }));
  });

  it('reads the published key pair: the secret key’s public half is the published Multikey', () => {
    const secret = privateKeyOfMultibase(SECRET)!;
    assert.equal(multikeyOf(crypto.createPublicKey(secret)), PUBLIC_KEY);
    assert.equal(publicKeyOfMultikey('zNotAKey'), null);
    assert.equal(publicKeyOfMultikey(42), null);
  });

  it('verifies vc-di-eddsa’s signed credential, and signs it to the same proof value', async () => {
    assert.equal(await provenBy(w3cCredential(), alicesKey), ALICE);
    const { proof, ...unsigned } = w3cCredential();
    const { proofValue, '@context': _context, ...options } = proof;
    const signed = withProof(unsigned, { verificationMethod: options.verificationMethod, privateKey: privateKeyOfMultibase(SECRET)! }, new Date(options.created));
    assert.equal((signed.proof as { proofValue: string }).proofValue, proofValue);
    assert.equal(await provenBy(fepCreate(), alicesKey), ALICE, 'an activity signed here verifies');
  });

  it('refuses a changed document, another key, another cryptosuite or purpose, and a key it cannot read', async () => {
    const changed = fepCreate();
    changed.object = { ...changed.object, content: 'Hello world!' };
    assert.equal(await provenBy(changed, alicesKey), null);
    const stranger = crypto.generateKeyPairSync('ed25519');
    assert.equal(await provenBy(fepCreate(), async () => ({ controller: ALICE, publicKey: stranger.publicKey })), null);
    assert.equal(await provenBy({ ...fepCreate(), proof: { ...fepCreate().proof, cryptosuite: 'eddsa-rdfc-2022' } }, alicesKey), null);
    assert.equal(await provenBy({ ...fepCreate(), proof: { ...fepCreate().proof, proofPurpose: 'authentication' } }, alicesKey), null);
    assert.equal(await provenBy({ ...fepCreate(), proof: { ...fepCreate().proof, proofValue: 'zzz' } }, alicesKey), null);
    assert.equal(await provenBy(fepCreate(), async () => null), null);
    const { proof: _none, ...unsigned } = fepCreate();
    assert.equal(await provenBy(unsigned, alicesKey), null);
  });

  it('finds a key only as a Multikey of the actor’s assertionMethod, controlled by that actor', async () => {
    const actor = (method: Record<string, unknown>) => async (iri: string) => (iri === ALICE ? { id: ALICE, type: 'Person', assertionMethod: [method] } : null);
    const good = { id: `${ALICE}#ed25519-key`, type: 'Multikey', controller: ALICE, publicKeyMultibase: PUBLIC_KEY };
    assert.equal((await keyLookup(actor(good))(`${ALICE}#ed25519-key`))?.controller, ALICE);
    assert.equal(await keyLookup(actor({ ...good, controller: 'https://server.example/users/mallory' }))(`${ALICE}#ed25519-key`), null);
    assert.equal(await keyLookup(actor({ ...good, type: 'JsonWebKey' }))(`${ALICE}#ed25519-key`), null);
    assert.equal(await keyLookup(actor(good))(`${ALICE}#other-key`), null);
    assert.equal(await keyLookup(async () => ({ id: 'https://elsewhere.example/alice', assertionMethod: [good] }))(`${ALICE}#ed25519-key`), null, 'a document that is not the actor asked for');
    assert.equal(await keyLookup(async () => Promise.reject(new Error('gone')))(`${ALICE}#ed25519-key`), null);
    assert.equal(await keyLookup(actor(good))('not a url'), null);
  });
});
