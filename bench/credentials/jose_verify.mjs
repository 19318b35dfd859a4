// The peer of `mpli-bench-credentials verify`: the `jose` npm library on the same tokens, doing
// the same whole check (typ, key by header kid from a cache, signature, issuer, validity, status
// bit from the list decoded once). Run it on one core: taskset -c 0 node jose_verify.mjs ...
//
// usage: node jose_verify.mjs --tokens FILE [--keys FILE] [--status FILE] [--seconds S]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { importJWK, jwtVerify, decodeProtectedHeader } from 'jose';

const STATUS_LIST_URL = 'https://hub.example/status/1';
const VERIFY_NOW = 1798761600; // 2027-01-01T00:00:00Z, as in the C++ program
const CLOCK_SKEW = 60;

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (i % 2 === 0 ? [...pairs, [arg.replace(/^--/, ''), all[i + 1]]] : pairs), []),
);
if (!args.tokens) {
  console.error('usage: node jose_verify.mjs --tokens FILE [--keys FILE] [--status FILE] [--seconds S]');
  process.exit(2);
}
const dir = dirname(args.tokens);
const seconds = Number(args.seconds ?? 5);
const tokens = readFileSync(args.tokens, 'utf8').split('\n').filter((line) => line.length > 0);
const jwks = JSON.parse(readFileSync(args.keys ?? join(dir, 'keys.json'), 'utf8'));
const encoded = readFileSync(args.status ?? join(dir, 'status_list.txt'), 'utf8').trim();

// importJWK once per kid: the cache the trust service keeps for resolved issuers.
const keys = new Map();
for (const [kid, jwk] of Object.entries(jwks)) {
  keys.set(kid, await importJWK(jwk, jwk.kty === 'OKP' ? 'EdDSA' : 'ES256'));
}
// The status list decoded once: 'u' + base64url(gzip(bits)), bit 0 = MSB of byte 0.
if (!encoded.startsWith('u')) throw new Error('status list is not multibase base64url');
const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));

const keyFor = (header) => {
  const key = keys.get(header.kid);
  if (!key) throw new Error(`no cached key for kid ${header.kid}`);
  return key;
};
const idOf = (issuer) => (typeof issuer === 'string' ? issuer : issuer?.id);
const seconds_of = (text) => {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`not a date-time: ${text}`);
  return Math.floor(ms / 1000);
};

// Resolves to { verified, revoked }; never throws.
async function verifyOne(token) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keyFor, {
      typ: 'vc+jwt',
      algorithms: ['ES256', 'EdDSA'],
      currentDate: new Date(VERIFY_NOW * 1000),
      clockTolerance: CLOCK_SKEW,
    });
    // The kid must belong to the issuer the credential names (as the C++ resolver checks).
    const issuer = idOf(payload.issuer);
    if (!issuer || protectedHeader.kid.split('#')[0] !== issuer) return { verified: false };
    if (payload.validFrom !== undefined && seconds_of(payload.validFrom) > VERIFY_NOW + CLOCK_SKEW) {
      return { verified: false };
    }
    if (payload.validUntil !== undefined && seconds_of(payload.validUntil) < VERIFY_NOW - CLOCK_SKEW) {
      return { verified: false };
    }
    const status = payload.credentialStatus;
    if (!status || status.type !== 'BitstringStatusListEntry' || status.statusListCredential !== STATUS_LIST_URL) {
      return { verified: false };
    }
    const index = Number(status.statusListIndex);
    if (!Number.isInteger(index) || index < 0 || index >= bits.length * 8) return { verified: false };
    const revoked = (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
    return { verified: true, revoked };
  } catch {
    return { verified: false };
  }
}

// One pass to check every token (and warm the JIT); it counts failures and revocations.
let failures = 0;
let revoked = 0;
for (const token of tokens) {
  const outcome = await verifyOne(token);
  if (!outcome.verified) failures += 1;
  if (outcome.revoked) revoked += 1;
}

let verifications = 0;
let next = 0;
const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
const deadline = start + BigInt(Math.round(seconds * 1e9));
let now = start;
while (now < deadline) {
  for (let i = 0; i < 64; i += 1) {
    if (!(await verifyOne(tokens[next])).verified) failures += 1;
    next = next + 1 === tokens.length ? 0 : next + 1;
  }
  verifications += 64;
  now = process.hrtime.bigint();
}
const elapsed = Number(now - start) / 1e9;
// CPU time of the whole process (JIT and GC threads too; taskset keeps them on the same core).
const cpuUsed = process.cpuUsage(cpuStart);
const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
const joseVersion = createRequire(import.meta.url)('jose/package.json').version;
console.log(JSON.stringify({
  implementation: `jose ${joseVersion}`,
  algorithm: decodeProtectedHeader(tokens[0]).alg,
  tokens: tokens.length,
  key_resolution: 'cached kid -> KeyObject map',
  failures,
  revoked,
  verifications,
  seconds: elapsed,
  per_second: verifications / elapsed,
  cpu_seconds: cpu,
  per_cpu_second: verifications / cpu,
}));
process.exit(failures === 0 ? 0 : 1);
