// A small sequential test runner: test(name, fn, {timeoutMs}) registers, runAll() runs each in order
// with its own timeout, prints "ok"/"not ok" lines and the closing "N passed, N failed" line.
// A test that needs something an earlier test failed to produce calls skip(reason).

const tests = [];

export class Skip extends Error {}

export function skip(reason) {
  throw new Skip(reason);
}

export function test(name, fn, { timeoutMs = 60000 } = {}) {
  tests.push({ name, fn, timeoutMs });
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEqual(actual, expected, message) {
  if (actual !== expected) {
    throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function withTimeout(promise, ms, name) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Hooks: before(name) runs before each test; after(name, error) after it, and may answer more failure
// text; notes(name, error) after the test's result line is printed (for context lines).
export async function runAll(hooks = {}) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const t of tests) {
    const t0 = Date.now();
    let error = null;
    if (hooks.before) hooks.before(t.name);
    try {
      await withTimeout(Promise.resolve().then(() => t.fn()), t.timeoutMs, t.name);
    } catch (e) {
      error = e;
    }
    if (hooks.after) {
      try {
        const extra = await hooks.after(t.name, error);
        if (extra && !(error instanceof Skip)) error = error ? new Error(`${error.message}\n${extra}`) : new Error(extra);
      } catch (e) {
        error = error || e;
      }
    }
    const ms = Date.now() - t0;
    if (error instanceof Skip) {
      skipped++;
      console.log(`skip - ${t.name} (${error.message})`);
    } else if (error) {
      failed++;
      console.log(`not ok - ${t.name} (${ms} ms)`);
      console.log(String(error.stack || error).split('\n').map((l) => '    ' + l).join('\n'));
    } else {
      passed++;
      console.log(`ok - ${t.name} (${ms} ms)`);
    }
    if (hooks.notes) hooks.notes(t.name, error);
  }
  return { passed, failed, skipped };
}
