// A node:test reporter that writes one JSON line per thing that did not run, plus node's own
// summary counts, so that scripts/test.mjs can name every skip (suites included) and fail CI on
// them. node's summary does not count a skipped `describe` nor a file that produced no tests;
// this reporter does, from the test events themselves.
//
// Lines written: {"kind":"skip","file","name","reason"} and {"kind":"count","name","value"}.
import { relative } from 'node:path';

/** Post-order bookkeeping per file: how many tests finished below each nesting level. */
function counter() {
  const below = [];
  return {
    /** Called when a test or suite at `nesting` finishes; returns how many tests ran inside it. */
    finish(nesting, isTest) {
      let inside = 0;
      for (let n = nesting + 1; n < below.length; n++) { inside += below[n] ?? 0; below[n] = 0; }
      below[nesting] = (below[nesting] ?? 0) + inside + (isTest ? 1 : 0);
      return inside;
    },
  };
}

export default async function* skipReporter(source) {
  const perFile = new Map();
  const where = (file) => (file ? relative(process.cwd(), file) : '(unknown file)');
  for await (const event of source) {
    if (event.type === 'test:diagnostic') {
      // node's closing summary arrives as diagnostics such as "tests 12" or "duration_ms 3.4".
      const m = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(event.data.message);
      if (m && event.data.nesting === 0) yield JSON.stringify({ kind: 'count', name: m[1], value: Number(m[2]) }) + '\n';
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, skip, todo, details } = event.data;
    const isSuite = details?.type === 'suite';
    // With several files, node reports a file that registered no tests as a test named by its path.
    const isFileItself = nesting === 0 && file && name === file && !isSuite;
    if (!perFile.has(file)) perFile.set(file, counter());
    const inside = perFile.get(file).finish(nesting, !isSuite && !isFileItself);
    const label = isFileItself ? '(whole file)' : name;
    const skipped = (reason) => JSON.stringify({ kind: 'skip', file: where(file), name: label, reason }) + '\n';
    if (skip !== undefined) yield skipped(typeof skip === 'string' && skip ? skip : 'skipped without a reason');
    else if (todo !== undefined) yield skipped(`todo: ${typeof todo === 'string' && todo ? todo : 'no reason given'}`);
    else if (event.type === 'test:pass' && isFileItself) yield skipped('the file produced no tests');
    else if (event.type === 'test:pass' && isSuite && inside === 0) yield skipped('the suite produced no tests');
  }
}
