// @ts-check
/**
 * package.json, the grammar and the language configuration agree with each other:
 * every file they name exists, every `#rule` the grammar includes is defined and every
 * defined rule is used, every pattern compiles, and the editing rules of the language
 * configuration behave on Komo lines.
 */
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const oniguruma = require('vscode-oniguruma');

const EXTENSION = path.join(__dirname, '..');
/** @param {string} file */
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(EXTENSION, file), 'utf8'));

const manifest = readJson('package.json');
const [language] = manifest.contributes.languages;
const [grammarEntry] = manifest.contributes.grammars;
const grammar = readJson(grammarEntry.path);
const config = readJson(language.configuration);

test('package.json names files that exist and one language', () => {
  assert.equal(language.id, 'komo');
  assert.deepEqual(language.extensions, ['.komo']);
  assert.equal(grammarEntry.language, 'komo');
  assert.equal(grammarEntry.scopeName, grammar.scopeName);
  for (const file of [manifest.main, language.configuration, grammarEntry.path]) {
    assert.ok(fs.existsSync(path.join(EXTENSION, file)), file);
  }
  const setting = manifest.contributes.configuration.properties['komo.path'];
  assert.equal(setting.default, 'komo');
  assert.ok(manifest.dependencies['vscode-languageclient'], 'the client is a runtime dependency');
});

/** Every object of the grammar that is a rule, with where it is. @returns {[string, any][]} */
function rules(/** @type {any} */ node, where = '') {
  if (Array.isArray(node)) {
    return node.flatMap((child, i) => rules(child, `${where}[${i}]`));
  }
  if (node && typeof node === 'object') {
    const own = 'match' in node || 'begin' in node || 'include' in node ? [[where, node]] : [];
    // @ts-ignore
    return own.concat(Object.entries(node).flatMap(([key, child]) => rules(child, `${where}.${key}`)));
  }
  return [];
}

test('every included rule exists and every rule is used', () => {
  const defined = new Set(Object.keys(grammar.repository));
  const used = new Set();
  for (const [where, rule] of rules(grammar)) {
    if (typeof rule.include === 'string' && rule.include.startsWith('#')) {
      const name = rule.include.slice(1);
      assert.ok(defined.has(name), `${where} includes #${name}, which is not defined`);
      used.add(name);
    }
  }
  assert.deepEqual([...defined].filter((name) => !used.has(name)), [], 'rules that nothing includes');
});

test('every pattern compiles with Oniguruma', async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  for (const [where, rule] of rules(grammar)) {
    for (const key of ['match', 'begin', 'end']) {
      if (typeof rule[key] === 'string') {
        assert.doesNotThrow(() => new oniguruma.OnigScanner([rule[key]]).dispose(), `${where}.${key}`);
      }
    }
  }
});

test('comments, brackets and auto-closing pairs', () => {
  assert.deepEqual(config.comments, { lineComment: '//', blockComment: ['/*', '*/'] });
  assert.deepEqual(config.brackets, [['{', '}'], ['[', ']'], ['(', ')']]);
  const pairs = Object.fromEntries(config.autoClosingPairs.map((/** @type {any} */ p) => [p.open, p]));
  assert.equal(pairs['"'].close, '"');
  assert.deepEqual(pairs['"'].notIn, ['string', 'comment']);
  // `{` closes inside strings too, for `${…}`.
  assert.equal(pairs['{'].notIn, undefined);
});

test('indentation rules follow blocks, records, lists and argument lists', () => {
  const increase = new RegExp(config.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
  for (const line of ['workflow w {', 'workflow w { // doc', '  if contact.email != null {', '  route escalate {', '  http.request("POST", url,',
    '  let tags = [', '  contact.update(set: {', '  } else {']) {
    assert.ok(increase.test(line), line);
  }
  for (const line of ['  stop', '  contact.update(set: { a: 1 })', '  let x = [1, 2]', '  // {', '  let s = "a {"']) {
    assert.ok(!increase.test(line), line);
  }
  for (const line of ['}', '  }', '  ) retry 3', '  ]', '  } else {']) {
    assert.ok(decrease.test(line), line);
  }
  assert.ok(!decrease.test('  stop'));
});

test('Enter on a `///` line continues the doc comment; folding markers', () => {
  const [docRule] = config.onEnterRules;
  const before = new RegExp(docRule.beforeText);
  assert.ok(before.test('  /// Welcome every new contact.'));
  assert.ok(!before.test('  //// banner'));
  assert.ok(!before.test('  // plain'));
  assert.equal(docRule.action.appendText, '/// ');
  assert.ok(new RegExp(config.folding.markers.start).test('  // #region tests'));
  assert.ok(new RegExp(config.folding.markers.end).test('  // #endregion'));
});
