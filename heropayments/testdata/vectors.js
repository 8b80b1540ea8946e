// Reference vectors for the heropayments package, made by Node itself.
//
//   node vectors.js > vectors.json     regenerate the vectors (deterministic)
//   node vectors.js verify FILE        check Go-made signatures (exit 1 on any mismatch)
//
// Only node:crypto is used. The signature is what the Heropayments document
// prescribes: HMAC-SHA512 keyed with the API secret over
// JSON.stringify(JSON.parse(body)) for a POST (and for callbacks), or over the
// query string without "?" for a GET (the empty string when there is none),
// hex-encoded into x-api-sign.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');

const SECRET = 'hp-test-secret-not-a-real-key';

function sign(data) {
  return crypto.createHmac('sha512', SECRET).update(data, 'utf8').digest('hex');
}

// mulberry32: a small seeded generator, so the random vectors are stable.
function rng(seed) {
  return function () {
    seed = (seed + 0x6D2B79F5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixed = [
  ['compact', '{"a":1,"b":"x"}'],
  ['whitespace', ' {\n\t"amount" : 1.10 ,\r\n "currency":\t"USDT" }\n'],
  ['nested', '{"a":{"b":[1, 2, {"c": [ ]}], "d": {}}, "e": [ [ [ null ] ] ], "f": true, "g": false}'],
  ['zero padded right', '{"amount": 100.0, "fee": 1.10, "x": 0.50000}'],
  ['small exponent', '{"a": 1e-7, "b": 0.0000001, "c": 0.000001, "d": 1.5E-7, "e": 123e-20}'],
  ['large exponent', '{"a": 1e21, "b": 1E+21, "c": 1e20, "d": 100000000000000000000, "e": 1.5e300}'],
  ['beyond double precision', '{"a": 123456789012345678901, "b": 0.1234567890123456789, "c": 9007199254740993}'],
  ['overflow and underflow', '[1e400, -1e400, 1e-400, -0, -0.0, 0e10, 5e-324, 2.5e-324]'],
  ['negative numbers', '[-1, -1.10, -1e-7, -1e21, -0.5]'],
  ['escaped unicode', '{"name": "caf\\u00e9", "emoji": "\\ud83d\\ude00", "lone": "\\ud800x\\udc00", "bmp": "\\u4e2d\\u6587"}'],
  ['literal unicode', '{"name": "café", "emoji": "😀", "cjk": "中文", "sep": "\u2028\u2029"}'],
  ['escapes', '{"s": "quote\\" backslash\\\\ slash\\/ \\b\\f\\n\\r\\t \\u0000\\u001f\\u007f \\u0041"}'],
  ['duplicate keys', '{"a": 1, "b": 2, "a": 3}'],
  ['index keys first', '{"b": 1, "2": 2, "1": 3, "10": 4, "01": 5, "4294967294": 6, "4294967295": 7, "-1": 8, "a": 9}'],
  ['escaped key equals literal key', '{"\\u0061": 1, "a": 2, "caf\\u00e9": 3, "café": 4}'],
  ['top-level string', '  "x\\u00e9"  '],
  ['top-level number', ' 1.10 '],
  ['callback sample', '{\n  "id": "5f0c1a2b3c4d5e6f",\n  "externalOrderId": "1254435345456456",\n  "sequence": "original",\n  "type": "deposit",\n  "status": "finished",\n  "currency": "BTC",\n  "amount": 0.00150000,\n  "payAmount": 0.0015,\n  "merchantAmount": 97.50,\n  "payAddress": "bc1qexample"\n}'],
  ['second payment sample', '{"externalOrderId":"1254435345456456","sequence":"4fb7defa35a056ecc64fc74ea97ef90f","status":"waiting","amount":12}'],
];

const invalid = [
  ['leading zeros', '{"amount": 001.10}'],
  ['trailing comma', '{"a": 1,}'],
  ['single quotes', "{'a': 1}"],
  ['bom', '\ufeff{"a": 1}'],
  ['trailing data', '{"a": 1} x'],
  ['bare decimal point', '{"a": .5}'],
  ['trailing decimal point', '{"a": 5.}'],
  ['plus sign', '{"a": +1}'],
  ['raw control character', '{"a": "x\ny"}'],
  ['invalid escape', '{"a": "\\x41"}'],
  ['short unicode escape', '{"a": "\\u12"}'],
  ['nan', '{"a": NaN}'],
  ['empty', ''],
  ['unterminated', '{"a": [1, 2'],
];

// randomNumber returns a JSON number literal of a random shape.
function randomNumber(r) {
  const digits = (n, lead) => {
    let s = lead ? String(1 + Math.floor(r() * 9)) : '';
    while (s.length < n) s += String(Math.floor(r() * 10));
    return s;
  };
  let s = r() < 0.3 ? '-' : '';
  s += r() < 0.25 ? '0' : digits(1 + Math.floor(r() * 24), true);
  if (r() < 0.7) s += '.' + digits(1 + Math.floor(r() * 24), false);
  if (r() < 0.5) {
    const e = Math.floor(r() * 700) - 350;
    s += (r() < 0.5 ? 'e' : 'E') + (e >= 0 && r() < 0.5 ? '+' : '') + String(e);
  }
  return s;
}

// randomString returns a JSON string literal of random UTF-16 code units,
// each written escaped or literally at random (literally only when legal).
function randomString(r) {
  let s = '"';
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const pick = r();
    let u;
    if (pick < 0.3) u = Math.floor(r() * 0x80);
    else if (pick < 0.5) u = Math.floor(r() * 0x20);
    else if (pick < 0.7) u = 0xd800 + Math.floor(r() * 0x800);
    else u = Math.floor(r() * 0x10000);
    const lit = u >= 0x20 && u !== 0x22 && u !== 0x5c && (u < 0xd800 || u > 0xdfff);
    if (lit && r() < 0.5) s += String.fromCharCode(u);
    else s += '\\u' + u.toString(16).padStart(4, '0');
    if (u >= 0xd800 && u < 0xdc00 && r() < 0.6) {
      s += '\\u' + (0xdc00 + Math.floor(r() * 0x400)).toString(16).toUpperCase();
    }
  }
  return s + '"';
}

function generate() {
  const SEED = 20260601;
  const r = rng(SEED);
  const bodies = fixed.slice();
  for (let i = 0; i < 300; i++) bodies.push(['random number ' + i, '[' + randomNumber(r) + ']']);
  for (let i = 0; i < 100; i++) {
    const k = randomString(r);
    bodies.push(['random string ' + i, '{' + k + ': ' + randomString(r) + ', "k": [' + randomString(r) + ']}']);
  }
  const out = {
    comment: 'Generated by vectors.js with node ' + process.version + '; do not edit by hand.',
    seed: SEED,
    secret: SECRET,
    encoding: 'hex',
    bodies: bodies.map(([name, raw]) => {
      const normalized = JSON.stringify(JSON.parse(raw));
      return { name, raw, normalized, signature: sign(normalized) };
    }),
    invalid: invalid.map(([name, raw]) => {
      let threw = false;
      try { JSON.parse(raw); } catch (e) { threw = true; }
      if (!threw) throw new Error('invalid vector parses: ' + name);
      return { name, raw };
    }),
    queries: ['', 'foo=bar', 'currency=BTC&amount=0.5', 'externalOrderId=wd-1&sequence=original'].map(
      (q) => ({ query: q, signature: sign(q) })),
  };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

// verify reads [{name, body, signature, normalizedBody}] written by a Go
// test: each signature must be Node's HMAC of JSON.stringify(JSON.parse(body)),
// and a body marked normalizedBody must already be in that form (so what we
// send is byte for byte what we signed).
function verify(file) {
  const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
  let bad = 0;
  for (const c of cases) {
    const data = c.query !== undefined ? c.query : JSON.stringify(JSON.parse(c.body));
    const want = sign(data);
    const a = Buffer.from(want, 'hex');
    const b = Buffer.from(c.signature, 'hex');
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
      console.error('signature mismatch: ' + c.name);
      bad++;
    }
    if (c.normalizedBody && data !== c.body) {
      console.error('body is not in JSON.stringify form: ' + c.name);
      bad++;
    }
  }
  console.log('checked ' + cases.length + ' Go-made signatures, ' + bad + ' bad');
  process.exit(bad ? 1 : 0);
}

if (process.argv[2] === 'verify') verify(process.argv[3]);
else generate();
