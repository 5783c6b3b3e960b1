#!/usr/bin/env node
// Independent verifier for ward's Sigstore bundles: sigstore-js
// (@sigstore/verify + @sigstore/bundle), a public key, no transparency log,
// no certificate transparency, no network.
//   node verify-bundle.js BUNDLE.json PUBLIC.pem [ARTIFACT]
// A bundle file may hold one JSON document or JSON lines (each verified).
// Exit 0 when every bundle verifies, 1 otherwise.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');

const [bundlePath, keyPath, artifactPath] = process.argv.slice(2);
if (!bundlePath || !keyPath) {
  console.error('usage: verify-bundle.js BUNDLE PUBLIC.pem [ARTIFACT]');
  process.exit(2);
}
const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
const trust = toTrustMaterial(
  { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
  () => ({ publicKey, validFor: () => true }));
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
const artifact = artifactPath ? fs.readFileSync(artifactPath) : undefined;

const text = fs.readFileSync(bundlePath, 'utf8').trim();
const docs = text.startsWith('{') && !text.includes('\n{') ? [text] : text.split('\n').filter(Boolean);
let failed = 0;
docs.forEach((doc, i) => {
  try {
    const bundle = bundleFromJSON(JSON.parse(doc));
    verifier.verify(toSignedEntity(bundle, artifact));
    console.log(`bundle ${i + 1}: verified`);
  } catch (e) {
    console.log(`bundle ${i + 1}: FAILED: ${e.code || ''} ${e.message}`);
    failed++;
  }
});
process.exit(failed ? 1 : 0);
