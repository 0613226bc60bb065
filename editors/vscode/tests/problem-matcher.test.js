// @ts-check
/**
 * The `$komo` problem matcher of package.json against real `komo check --format short`
 * output: tests/fixtures/check-short.txt, which the Rust test tests/editor_vscode.rs
 * keeps equal to what the binary prints for those files (so it cannot go stale).
 * VS Code runs the pattern as a JavaScript regular expression, as this test does.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const EXTENSION = path.join(__dirname, '..');
const REPO = path.join(EXTENSION, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION, 'package.json'), 'utf8'));
const matcher = manifest.contributes.problemMatchers.find((/** @type {{ name: string }} */ m) => m.name === 'komo');
const pattern = matcher.pattern;
const regexp = new RegExp(pattern.regexp);

/**
 * What VS Code takes from one line, by the matcher's group numbers.
 * @param {string} line
 */
function match(line) {
  const m = regexp.exec(line);
  if (!m) {
    return null;
  }
  return {
    file: m[pattern.file],
    line: Number(m[pattern.line]),
    column: Number(m[pattern.column]),
    severity: m[pattern.severity],
    code: m[pattern.code],
    message: m[pattern.message],
  };
}

const sample = fs.readFileSync(path.join(__dirname, 'fixtures', 'check-short.txt'), 'utf8');
const lines = sample.split('\n').filter((line) => line !== '');

test('the matcher is registered as `$komo` with paths relative to the workspace', () => {
  assert.equal(matcher.owner, 'komo');
  assert.equal(matcher.source, 'komo');
  assert.deepEqual(matcher.fileLocation, ['autoDetect', '${workspaceFolder}']);
  for (const key of ['file', 'line', 'column', 'severity', 'code', 'message']) {
    assert.ok(Number.isInteger(pattern[key]) && pattern[key] > 0, `group for ${key}`);
  }
});

test('every line of the sample matches, and points at the line its example names', () => {
  assert.ok(lines.length >= 4, 'the sample has an error, a warning and more');
  for (const line of lines) {
    const found = match(line);
    assert.ok(found, `no match: ${line}`);
    // The example exists where the matcher's file group says (relative to the repository,
    // which is the workspace folder when komo check runs at its root).
    const source = fs.readFileSync(path.join(REPO, found.file), 'utf8');
    // Each error example is named after its code and states the lines it expects.
    assert.equal(found.code.toLowerCase(), path.basename(found.file).slice(0, 5), line);
    const header = /^\/\/ expect-(errors|warnings): ([\d ]+)/.exec(source);
    assert.ok(header, `${found.file} states its expected lines`);
    assert.equal(found.severity, header[1] === 'errors' ? 'error' : 'warning', line);
    assert.ok(header[2].trim().split(/\s+/).map(Number).includes(found.line), line);
    const text = source.split(/\r?\n/)[found.line - 1];
    assert.ok(found.column >= 1 && found.column <= text.length, line);
    assert.ok(found.message.length > 0 && !found.message.startsWith(' '), line);
  }
});

test('the fields of one error and one warning', () => {
  assert.deepEqual(match(lines[0]), {
    file: 'examples/errors/k0204_maybe_null.komo',
    line: 6,
    column: 24,
    severity: 'error',
    code: 'K0204',
    message: '`event.score` may be null; `points` of `loyalty.award_points` expects `Int`',
  });
  const warning = match(lines[1]);
  assert.equal(warning?.severity, 'warning');
  assert.equal(warning?.code, 'K0405');
  assert.equal(warning?.message, 'route `escalate` is never used');
});

test('paths with spaces, drive letters and colons in the message', () => {
  assert.deepEqual(match('C:\\work\\my flows\\a.komo:12:3: error[K0105]: unknown name `x`: did you mean `y`?'), {
    file: 'C:\\work\\my flows\\a.komo',
    line: 12,
    column: 3,
    severity: 'error',
    code: 'K0105',
    message: 'unknown name `x`: did you mean `y`?',
  });
  assert.equal(match('/tmp/a b/c.komo:1:1: warning[K0115]: `fullName` is not snake_case')?.file, '/tmp/a b/c.komo');
});

test('lines that are not diagnostics do not match', () => {
  for (const line of ['', 'checked 3 files', 'error[K0901]: internal error without a file', '  help: check it']) {
    assert.equal(match(line), null, line);
  }
});
