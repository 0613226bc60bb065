// @ts-check
/**
 * The grammar over every `.komo` file of the repository's examples, the way VS Code
 * tokenizes them. For the valid programs: nothing is left open at the end (no runaway
 * string, comment or bracket), nothing is marked invalid, every character that is not
 * blank gets a scope a theme can colour (not only `source.komo` or a `meta.*` region),
 * and no reserved word is taken for a plain name. For the invalid ones (examples/errors):
 * each still tokenizes, and the lexical errors show as `invalid.illegal`.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { tokenize } = require('./tokenize');

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');

/** @param {string} dir @returns {string[]} */
function komoFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return komoFiles(full);
    }
    return entry.name.endsWith('.komo') ? [full] : [];
  });
}

const all = komoFiles(EXAMPLES).sort();
const errorsDir = path.join(EXAMPLES, 'errors') + path.sep;
const valid = all.filter((file) => !file.startsWith(errorsDir));
const invalid = all.filter((file) => file.startsWith(errorsDir));

const RESERVED = new Set(
  ('workflow scope trigger where title form step let if else wait until route on success failure ' +
    'continue stop fail retry backoff timeout test expect mock event contact true false null and or ' +
    'not in contains as').split(' '),
);

/** The innermost scope that says what a token is (not where it is). */
function kind(/** @type {string[]} */ scopes) {
  return [...scopes].reverse().find((s) => !s.startsWith('meta.') && s !== 'source.komo.embedded') ?? '';
}

test('there are examples to check', () => {
  assert.ok(valid.length >= 15, `valid examples: ${valid.length}`);
  assert.ok(invalid.length >= 40, `error examples: ${invalid.length}`);
});

for (const file of valid) {
  const name = path.relative(EXAMPLES, file);
  test(`examples/${name} is highlighted throughout`, async () => {
    const { tokens, endsInInitialState } = await tokenize(fs.readFileSync(file, 'utf8'));
    assert.ok(endsInInitialState, 'a string, comment or bracket is still open at the end');
    for (const token of tokens) {
      const where = `${name}:${token.line}:${token.start + 1} ${JSON.stringify(token.text)} (${token.scopes.join(' ')})`;
      assert.ok(!token.scopes.some((s) => s.startsWith('invalid.')), `marked invalid: ${where}`);
      if (token.text.trim() !== '') {
        assert.notEqual(kind(token.scopes), 'source.komo', `no scope: ${where}`);
      }
      const isCode = !token.scopes.some((s) => s.startsWith('string.') || s.startsWith('comment.'));
      if (isCode && RESERVED.has(token.text)) {
        assert.ok(
          !['variable.other.komo', 'variable.function.komo', 'entity.name.type.komo'].includes(kind(token.scopes)),
          `reserved word taken for a name: ${where}`,
        );
      }
    }
  });
}

test('every error example tokenizes, and lexical errors are marked invalid', async () => {
  /** @type {Record<string, string>} */
  const expectedInvalid = {
    'k0003_invalid_escape.komo': 'invalid.illegal.escape.komo',
    'k0004_invalid_duration.komo': 'invalid.illegal.numeric.komo',
  };
  for (const file of invalid) {
    const { tokens } = await tokenize(fs.readFileSync(file, 'utf8'));
    assert.ok(tokens.length > 0, file);
    const scope = expectedInvalid[path.basename(file)];
    if (scope) {
      assert.ok(tokens.some((t) => t.scopes.includes(scope)), `${file} has a ${scope} token`);
    }
  }
});

test('an unterminated block comment runs to the end of the file, as the lexer reads it', async () => {
  const file = path.join(EXAMPLES, 'errors', 'k0008_unterminated_comment.komo');
  const { tokens, endsInInitialState } = await tokenize(fs.readFileSync(file, 'utf8'));
  assert.ok(!endsInInitialState);
  assert.ok(tokens.at(-1)?.scopes.includes('comment.block.komo'));
});

test('an unterminated string ends at the end of its line', async () => {
  const file = path.join(EXAMPLES, 'errors', 'k0002_unterminated_string.komo');
  const { tokens } = await tokenize(fs.readFileSync(file, 'utf8'));
  const scope = tokens.find((t) => t.text === 'scope');
  assert.ok(scope, 'the line after the string is code again');
  assert.ok(scope.scopes.includes('keyword.other.scope.komo'), scope.scopes.join(' '));
});
