// gen_vectors.js writes signature test vectors for hercle's webhook
// verifier, made with Node's crypto along the exact path of the Node sample
// in Hercle's webhook document (shared/reference/002_…txt):
//
//   digest = createHash('sha256').update(`${timestamp}.${rawBody}`, 'utf8').digest()
//   createVerify('RSA-SHA256').update(digest).verify(publicKeyPem, signature, 'base64')
//
// so each signature is made by createSign('RSA-SHA256').update(digest).sign().
// Every "valid" vector is checked with the sample's verifySignature before it
// is written. Negative vectors sign the message itself (a single hash, the
// reading of the prose steps 4–5 that the sample code contradicts).
//
// No npm dependencies. Run from the repository root:
//
//   node hercle/webhook/testdata/gen_vectors.js
//
// It writes key_a.pem (SPKI "PUBLIC KEY"), key_b_pkcs1.pem (PKCS#1
// "RSA PUBLIC KEY", the rotation key) and vectors.json beside this file. The
// private keys exist only in memory. Key generation is random, so a rerun
// produces new keys and signatures; commit all three files together.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const dir = __dirname;

function keyPair() {
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
}

// The document's verification path, verbatim apart from the key argument.
function sampleVerify(publicKeyPem, rawBody, signatureBase64, timestamp) {
  try {
    const message = `${timestamp}.${rawBody}`;
    const digest = crypto.createHash('sha256').update(message, 'utf8').digest();
    const verifier = crypto.createVerify('RSA-SHA256');
    verifier.update(digest);
    verifier.end();
    return verifier.verify(publicKeyPem, signatureBase64, 'base64');
  } catch (e) {
    return false;
  }
}

// The signing counterpart of the sample: sign the SHA-256 digest with RSA-SHA256.
function sampleSign(privateKey, rawBody, timestamp) {
  const message = `${timestamp}.${rawBody}`;
  const digest = crypto.createHash('sha256').update(message, 'utf8').digest();
  const signer = crypto.createSign('RSA-SHA256');
  signer.update(digest);
  signer.end();
  return signer.sign(privateKey, 'base64');
}

// Signs the message once (no pre-hash): what a reader of the prose alone might do.
function singleHashSign(privateKey, rawBody, timestamp) {
  const signer = crypto.createSign('RSA-SHA256');
  signer.update(`${timestamp}.${rawBody}`, 'utf8');
  signer.end();
  return signer.sign(privateKey, 'base64');
}

const a = keyPair();
const b = keyPair();
const pemA = a.publicKey.export({ type: 'spki', format: 'pem' });
const pemB = b.publicKey.export({ type: 'pkcs1', format: 'pem' });

const transaction = {
  Id: 'a12f5e4d-3c6e-4b2a-9f4d-8e2b1c3d4e5f',
  UserId: 'c56e7f8a-9b0c-4d1e-2f3a-4b5c6d7e8f9a',
  Type: 'DEPOSIT',
  Status: 'SUCCESS',
  Asset: 'EUR',
  Amount: 1000.0,
};

// Bodies are written literally (not JSON.stringify of objects) where the
// exact bytes matter: number text such as 1000.0 and 0.1, spacing, newlines.
const bodies = {
  // Version A: PascalCase keys, Data a JSON string.
  pascal_string_data: JSON.stringify({
    EventId: 'evt_abc123def456',
    EventType: 'Banking.Deposit.StatusUpdated',
    Timestamp: '2025-01-15T14:30:00Z',
    Data: JSON.stringify(transaction),
  }),
  // Version B: camelCase keys, data an embedded object, pretty-printed with
  // a trailing newline, and an amount whose text must survive (1000.0).
  camel_object_data:
    '{\n  "eventId": "f47ac10b-58cc-4372-a567-0e02b2c3d479",\n  "eventType": "Banking.Deposit.StatusUpdated",\n' +
    '  "timestamp": "2025-01-15T14:30:00Z",\n  "data": {\n    "id": "a12f5e4d-3c6e-4b2a-9f4d-8e2b1c3d4e5f",\n' +
    '    "userId": "c56e7f8a-9b0c-4d1e-2f3a-4b5c6d7e8f9a",\n    "type": "DEPOSIT",\n    "status": "SUCCESS",\n' +
    '    "asset": "EUR",\n    "amount": 1000.0\n  }\n}\n',
  // Non-ASCII text: the sample hashes the UTF-8 bytes.
  unicode:
    '{"EventId":"evt_unicode_1","EventType":"EndUser.Updated","Timestamp":"2025-01-15T14:30:00Z",' +
    '"Data":"{\\"Id\\":\\"eus_1\\",\\"Business\\":{\\"CompanyName\\":\\"Società Ünïcødé ☃ 株式会社\\"}}"}',
  balance:
    '{"EventId":"evt_bal_1","EventType":"Balance.Updated","Timestamp":"2025-01-15T14:30:00Z",' +
    '"Data":{"UserId":"1a66db8f-4043-4035-91df-615b3a7ac073","Sequence":123,"Assets":[{"Name":"EUR","Available":0.1,"Allocated":100.0}]}}',
  empty_object: '{}',
};

const vectors = [];
let n = 0;
for (const [name, body] of Object.entries(bodies)) {
  const ts = String(1705329000 + 60 * n++);
  const sig = sampleSign(a.privateKey, body, ts);
  if (!sampleVerify(pemA, body, sig, ts)) throw new Error(`${name}: sample verifier refused our signature`);
  vectors.push({ name, key: 'a', timestamp: ts, body_base64: Buffer.from(body, 'utf8').toString('base64'), signature: sig, valid: true });
}

// Rotation: signed by key B (PKCS#1 file); valid when B is among the keys.
{
  const body = bodies.pascal_string_data;
  const ts = '1705329600';
  const sig = sampleSign(b.privateKey, body, ts);
  if (!sampleVerify(b.publicKey.export({ type: 'spki', format: 'pem' }), body, sig, ts)) throw new Error('rotation vector');
  vectors.push({ name: 'rotation_key_b', key: 'b', timestamp: ts, body_base64: Buffer.from(body, 'utf8').toString('base64'), signature: sig, valid: true });
}

// Negative: a single hash over the message, which the sample verifier refuses.
for (const name of ['pascal_string_data', 'camel_object_data']) {
  const body = bodies[name];
  const ts = '1705329900';
  const sig = singleHashSign(a.privateKey, body, ts);
  if (sampleVerify(pemA, body, sig, ts)) throw new Error(`${name}: single-hash signature passed the sample verifier`);
  vectors.push({ name: `single_hash_${name}`, key: 'a', timestamp: ts, body_base64: Buffer.from(body, 'utf8').toString('base64'), signature: sig, valid: false });
}

fs.writeFileSync(path.join(dir, 'key_a.pem'), pemA);
fs.writeFileSync(path.join(dir, 'key_b_pkcs1.pem'), pemB);
fs.writeFileSync(
  path.join(dir, 'vectors.json'),
  JSON.stringify({ generator: 'hercle/webhook/testdata/gen_vectors.js', node: process.version, vectors }, null, 2) + '\n',
);
console.log(`wrote ${vectors.length} vectors`);
