// cvss-scores.mjs: the CVSS v3 oracle for ward's tests.  Reads one vector
// per line on stdin and prints "vector<TAB>base score" (or "invalid"),
// computed by @turingpointde/cvss.js, an implementation independent of ward.
import { createInterface } from 'node:readline';

const { CVSS } = await import('@turingpointde/cvss.js');
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const v = line.trim();
  if (!v) continue;
  let out = 'invalid';
  try {
    const c = CVSS(v);
    if (c.isValid) out = c.getScore().toFixed(1);
  } catch (e) {
    out = 'invalid';
  }
  process.stdout.write(`${v}\t${out}\n`);
}
