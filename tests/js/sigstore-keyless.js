#!/usr/bin/env node
// sigstore-keyless.js: real keyless Sigstore bundles for ward's tests, made
// offline by sigstore-js (@sigstore/sign) against the mock Fulcio, Rekor v1,
// Rekor v2 and TSA of @sigstore/mock (HTTP intercepted in-process), with the
// trusted_root.json that describes those services.  Every happy bundle is
// verified by sigstore-js (@sigstore/verify) before it is written, so the
// tests compare ward with an independent verifier.
//   node sigstore-keyless.js OUTDIR [--statement FILE]... [--blob FILE]...
// OUTDIR receives: trusted_root.json, artifact.txt, statement.json and
//   msg-v1.json   message signature, Rekor v1 hashedrekord (SET + proof)
//   dsse-v1.json  DSSE in-toto statement naming artifact.txt, Rekor v1 dsse
//   msg-v2.json   message signature, Rekor v2 hashedrekord 0.0.2 + RFC 3161
//   dsse-v2.json  DSSE, Rekor v2 + RFC 3161
//   expired.json  message signature whose certificate had expired when Rekor logged it
//   other-log.json message signature from a Rekor whose key the root does not list
//   unknown-checkpoint.json msg-v1 with its checkpoint re-signed by an unknown key
//   trusted_root-tsa-expired.json  the root with the TSA's validity ending before the timestamps
//   stmt-N.json   one DSSE bundle (Rekor v1, and -v2.json with Rekor v2) per --statement FILE
//   blob-N.json   one message-signature bundle (Rekor v1) per --blob FILE
// identity.txt / issuer.txt hold the signer's identity and OIDC issuer.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const mock = require('@sigstore/mock');
const nock = require('nock');
// Every request to base+handler.path answered by the mock, as often as asked.
function intercept(base, handler) {
  nock(base).persist().post(handler.path).reply(async (_, body) => {
    const req = typeof body === 'string' ? body : JSON.stringify(body);
    const { statusCode, response, contentType } = await handler.fn(req);
    return [statusCode, response, { 'Content-Type': contentType || 'text/plain' }];
  });
}
const sign = require('@sigstore/sign');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON, bundleToJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const IDENTITY = 'https://github.com/ward-test/ward/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const FULCIO = 'https://fulcio.ward.test', REKOR1 = 'https://rekor1.ward.test',
  REKOR2 = 'https://rekor2.ward.test', TSA = 'https://tsa.ward.test',
  FULCIO_OLD = 'https://fulcio-old.ward.test', OTHER = 'https://rekor-other.ward.test';

const out = process.argv[2];
const statements = [], blobs = [];
for (let i = 3; i < process.argv.length; i++)
  if (process.argv[i] === '--statement') statements.push(process.argv[++i]);
  else if (process.argv[i] === '--blob') blobs.push(process.argv[++i]);
if (!out) { console.error('usage: sigstore-keyless.js OUTDIR [--statement FILE]...'); process.exit(2); }
fs.mkdirSync(out, { recursive: true });

const b64 = (b) => Buffer.from(b).toString('base64');
const spki = (k) => k.export({ format: 'der', type: 'spki' });
const keyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed25519 = () => crypto.generateKeyPairSync('ed25519');
// A JWT the mock Fulcio accepts (it decodes, it does not check signatures).
const jwt = (claims) => ['{"alg":"none"}', JSON.stringify(claims), ''].map((s, i) =>
  i < 2 ? Buffer.from(s).toString('base64url') : s).join('.');
const identity = { getToken: async () => jwt({ iss: ISSUER, sub: IDENTITY, aud: 'sigstore' }) };

function tlogEntry(url, kp, start, details) {
  return {
    baseUrl: url, hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(spki(kp.publicKey)), keyDetails: details || 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start } },
    logId: { keyId: b64(crypto.createHash('sha256').update(spki(kp.publicKey)).digest()) },
  };
}


// RFC 6962 Merkle tree hashing, written here independently of ward: the
// rewritten entries sit at index 6 of a 13-leaf tree (the other leaves are
// random), so inclusion proofs have real audit paths.
const sha = (...b) => crypto.createHash('sha256').update(Buffer.concat(b)).digest();
const leafHash = (d) => sha(Buffer.from([0]), d);
const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };
const mth = (l) => l.length === 1 ? l[0] : sha(Buffer.from([1]), mth(l.slice(0, split(l.length))), mth(l.slice(split(l.length))));
function auditPath(m, l) {
  if (l.length === 1) return [];
  const k = split(l.length);
  return m < k ? [...auditPath(m, l.slice(0, k)), mth(l.slice(k))]
    : [...auditPath(m - k, l.slice(k)), mth(l.slice(0, k))];
}
const TREE = 13, INDEX = 6;
function tree(body) {
  const leaves = [];
  for (let i = 0; i < TREE; i++) leaves.push(i === INDEX ? leafHash(body) : leafHash(crypto.randomBytes(40)));
  return { root: mth(leaves), hashes: auditPath(INDEX, leaves).map(b64) };
}

// @sigstore/mock 0.12's Rekor v2 logs the create request itself as the body
// and proves a random index of a one-entry tree, which no verifier accepts;
// this writes the entry as a Rekor v2 log does (rekor-tiles: body kind
// hashedrekord or dsse 0.0.2, entry 0 of a one-entry tree, a C2SP checkpoint
// signed by the log's Ed25519 key with the key-id hint).
let R2; // {kp, id, host}
function rekorV2Entry(bundle, e) {
  const vm = bundle.verificationMaterial;
  const cert = (vm.certificate || vm.x509CertificateChain.certificates[0]).rawBytes;
  const verifier = { keyDetails: 'PKIX_ECDSA_P256_SHA_256', x509Certificate: { rawBytes: cert } };
  let body;
  if (bundle.dsseEnvelope) {
    const env = bundle.dsseEnvelope;
    const payload = Buffer.from(env.payload, 'base64');
    body = { apiVersion: '0.0.2', kind: 'dsse', spec: { dsseV002: {
      payloadHash: { algorithm: 'SHA2_256', digest: b64(crypto.createHash('sha256').update(payload).digest()) },
      signatures: [{ content: env.signatures[0].sig, verifier }] } } };
  } else {
    const ms = bundle.messageSignature;
    body = { apiVersion: '0.0.2', kind: 'hashedrekord', spec: { hashedRekordV002: {
      data: { algorithm: 'SHA2_256', digest: ms.messageDigest.digest },
      signature: { content: ms.signature, verifier } } } };
  }
  const raw = Buffer.from(JSON.stringify(body));
  const t = tree(raw);
  const note = `${R2.host}\n${TREE}\n${b64(t.root)}\n`;
  const sig = crypto.sign(null, Buffer.from(note), R2.kp.privateKey);
  e.kindVersion = { kind: body.kind, version: '0.0.2' };
  e.logId = { keyId: b64(R2.id) };
  e.logIndex = String(INDEX);
  delete e.integratedTime;
  e.canonicalizedBody = b64(raw);
  e.inclusionProof = { logIndex: String(INDEX), rootHash: b64(t.root), treeSize: String(TREE), hashes: t.hashes,
    checkpoint: { envelope: `${note}\n\u2014 ${R2.host} ${b64(Buffer.concat([R2.id.subarray(0, 4), sig]))}\n` } };
}

// @sigstore/mock 0.12's Rekor v1 logs a proposed dsse entry as it was sent
// (the server turns it into envelopeHash, payloadHash, signatures): write the
// entry as Rekor does, with its SET and checkpoint signed by the log's key.
let R1; // {kp, id, host}
function rekorV1Dsse(bundle, e) {
  const env = bundle.dsseEnvelope;
  const vm = bundle.verificationMaterial;
  const cert = Buffer.from((vm.certificate || vm.x509CertificateChain.certificates[0]).rawBytes, 'base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
  const body = { apiVersion: '0.0.1', kind: 'dsse', spec: {
    envelopeHash: { algorithm: 'sha256', value: sha(Buffer.from(JSON.stringify(env))) },
    payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(env.payload, 'base64')) },
    signatures: [{ signature: env.signatures[0].sig, verifier: b64(Buffer.from(pem)) }] } };
  const raw = Buffer.from(JSON.stringify(body));
  const t = Math.floor(Date.now() / 1000), index = 7;
  const set = `{"body":"${b64(raw)}","integratedTime":${t},"logID":"${R1.id.toString('hex')}","logIndex":${index}}`;
  const tr = tree(raw);
  const note = `${R1.host} - 42\n${TREE}\n${b64(tr.root)}\n`;
  const sig = crypto.sign('sha256', Buffer.from(note), R1.kp.privateKey);
  e.canonicalizedBody = b64(raw);
  e.integratedTime = String(t);
  e.logIndex = String(index);
  e.inclusionPromise = { signedEntryTimestamp: b64(crypto.sign('sha256', Buffer.from(set), R1.kp.privateKey)) };
  e.inclusionProof = { logIndex: String(INDEX), rootHash: b64(tr.root), treeSize: String(TREE), hashes: tr.hashes,
    checkpoint: { envelope: `${note}\n\u2014 ${R1.host} ${b64(Buffer.concat([R1.id.subarray(0, 4), sig]))}\n` } };
}

async function main() {
  const start = '2020-01-01T00:00:00Z';
  const caKP = keyPair(), ctKP = keyPair(), r1KP = keyPair(), r2KP = keyPair(), tsaKP = keyPair(),
    otherKP = keyPair();
  const ctlog = await mock.initializeCTLog(ctKP);
  const ca = await mock.initializeCA(caKP, ctlog);
  const oldCA = await mock.initializeCA(caKP, ctlog, new Date(Date.now() - 86400e3 * 30));
  const tlog1 = await mock.initializeTLog(REKOR1, r1KP);
  R1 = { kp: r1KP, id: crypto.createHash('sha256').update(spki(r1KP.publicKey)).digest(), host: 'rekor1.ward.test' };
  const tlog2 = await mock.initializeTLog(REKOR2, r2KP);
  const r2Ed = ed25519();
  R2 = { kp: r2Ed, id: crypto.createHash('sha256').update(spki(r2Ed.publicKey)).digest(), host: 'rekor2.ward.test' };
  const other = await mock.initializeTLog(OTHER, otherKP);
  const tsa = await mock.initializeTSA(tsaKP);
  intercept(FULCIO, mock.fulcioHandler(ca));
  intercept(FULCIO_OLD, mock.fulcioHandler(oldCA));
  intercept(REKOR1, mock.rekorHandler(tlog1));
  intercept(REKOR2, mock.rekorV2Handler(tlog2));
  intercept(OTHER, mock.rekorHandler(other));
  intercept(TSA, mock.tsaHandler(tsa));

  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [tlogEntry(REKOR1, r1KP, start), tlogEntry(REKOR2, r2Ed, start, 'PKIX_ED25519')],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: FULCIO,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: { start },
    }],
    ctlogs: [{
      baseUrl: 'https://ctfe.ward.test', hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(spki(ctKP.publicKey)), keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: { start } },
      logId: { keyId: b64(ctlog.logID) },
    }],
    timestampAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: TSA,
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
      validFor: { start },
    }],
  };
  // The old CA signs with the same key: it is the same trusted CA.
  const write = (name, obj) => fs.writeFileSync(path.join(out, name), JSON.stringify(obj, null, 2) + '\n');
  write('trusted_root.json', root);
  const tsaExpired = JSON.parse(JSON.stringify(root));
  tsaExpired.timestampAuthorities[0].validFor = { start, end: '2021-01-01T00:00:00Z' };
  write('trusted_root-tsa-expired.json', tsaExpired);
  fs.writeFileSync(path.join(out, 'identity.txt'), IDENTITY + '\n');
  fs.writeFileSync(path.join(out, 'issuer.txt'), ISSUER + '\n');

  const artifact = Buffer.from('ward keyless test artifact\n');
  fs.writeFileSync(path.join(out, 'artifact.txt'), artifact);
  const digest = crypto.createHash('sha256').update(artifact).digest('hex');
  const statement = Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'artifact.txt', digest: { sha256: digest } }],
    predicateType: 'https://ward.dev/test/v1', predicate: { ok: true },
  }));
  fs.writeFileSync(path.join(out, 'statement.json'), statement);

  const trust = toTrustMaterial(TrustedRoot.fromJSON(root));
  const verifier = new Verifier(trust);
  const policy = { subjectAlternativeName: IDENTITY, extensions: { issuer: ISSUER } };

  const signer = (fulcio) => new sign.FulcioSigner({ identityProvider: identity, fulcioBaseURL: fulcio });
  const v1 = (url, entryType) => new sign.RekorWitness({ rekorBaseURL: url, entryType });
  const v2 = () => new sign.RekorWitness({ rekorBaseURL: REKOR2, majorApiVersion: 2 });
  const ts = () => new sign.TSAWitness({ tsaBaseURL: TSA });
  const msg = (fulcio, witnesses) => new sign.MessageSignatureBundleBuilder({ signer: signer(fulcio), witnesses });
  const dsse = (witnesses) => new sign.DSSEBundleBuilder({ signer: signer(FULCIO), witnesses });

  async function make(name, builder, data, type, check) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await make1(name, builder, data, type, check);
      } catch (e) {
        // DER drops trailing zeros of a GeneralizedTime fraction (".12Z");
        // @sigstore/core 3 only parses three digits, so a timestamp made at
        // such a millisecond is unreadable to it: sign again.
        if (!/invalid time/.test(e.message) || attempt >= 20) throw e;
      }
    }
  }
  async function make1(name, builder, data, type, check) {
    const bundle = await builder.create({ data, type });
    const json = bundleToJSON(bundle);
    for (const e of json.verificationMaterial.tlogEntries)
      if (e.kindVersion.version === '0.0.2') rekorV2Entry(json, e);
      else if (e.kindVersion.kind === 'dsse') rekorV1Dsse(json, e);
    write(name, json);
    if (check) try { // the independent verifier must accept it
      verifier.verify(toSignedEntity(bundleFromJSON(json), type ? undefined : data), policy);
    } catch (e) { e.message = `${name}: ${e.message}`; throw e; }
    write(name, json);
    return json;
  }
  const m1 = await make('msg-v1.json', msg(FULCIO, [v1(REKOR1)]), artifact, undefined, true);
  await make('dsse-v1.json', dsse([v1(REKOR1, 'dsse')]), statement, 'application/vnd.in-toto+json', true);
  await make('msg-v2.json', msg(FULCIO, [v2(), ts()]), artifact, undefined, true);
  await make('dsse-v2.json', dsse([v2(), ts()]), statement, 'application/vnd.in-toto+json', true);
  await make('expired.json', msg(FULCIO_OLD, [v1(REKOR1)]), artifact, undefined, false);
  await make('other-log.json', msg(FULCIO, [v1(OTHER)]), artifact, undefined, false);
  for (let i = 0; i < statements.length; i++) {
    const data = fs.readFileSync(statements[i]);
    await make(`stmt-${i + 1}.json`, dsse([v1(REKOR1, 'dsse')]), data, 'application/vnd.in-toto+json', true);
    await make(`stmt-${i + 1}-v2.json`, dsse([v2(), ts()]), data, 'application/vnd.in-toto+json', true);
  }
  for (let i = 0; i < blobs.length; i++) {
    const data = fs.readFileSync(blobs[i]);
    await make(`blob-${i + 1}.json`, msg(FULCIO, [v1(REKOR1)]), data, undefined, true);
  }
  // The checkpoint of msg-v1 signed again by a key the root does not list
  // (same key hint, so only the signature can tell).
  const u = JSON.parse(JSON.stringify(m1));
  const proof = u.verificationMaterial.tlogEntries[0].inclusionProof;
  const note = proof.checkpoint.envelope.split('\n\n')[0] + '\n';
  const hint = Buffer.from(u.verificationMaterial.tlogEntries[0].logId.keyId, 'base64').subarray(0, 4);
  const sig = crypto.sign('sha256', Buffer.from(note), keyPair().privateKey);
  proof.checkpoint.envelope = `${note}\n\u2014 ${REKOR1.replace('https://', '')} ${b64(Buffer.concat([hint, sig]))}\n`;
  write('unknown-checkpoint.json', u);
  console.log(`sigstore-keyless: wrote ${6 + 2 * statements.length + blobs.length} bundles and the trusted root to ${out}`);
}
main().catch((e) => { console.error(`sigstore-keyless: ${e.stack || e}`); process.exit(1); });
