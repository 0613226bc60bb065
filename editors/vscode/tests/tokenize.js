// @ts-check
/**
 * Tokenizes Komo source with the extension's grammar, the way VS Code does
 * (vscode-textmate on the Oniguruma WebAssembly build). Used by the tests, and from
 * the command line to look at the scopes of a file:
 *
 *     node tests/tokenize.js ../../examples/welcome_new_contacts.komo
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const oniguruma = require('vscode-oniguruma');
const textmate = require('vscode-textmate');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'komo.tmLanguage.json');

/** @type {Promise<textmate.IGrammar> | undefined} */
let loaded;

/** The grammar, loaded once. */
function grammar() {
  if (!loaded) {
    loaded = load();
  }
  return loaded;
}

async function load() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.komo') {
        return null;
      }
      return textmate.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
    },
  });
  const komo = await registry.loadGrammar('source.komo');
  if (!komo) {
    throw new Error(`could not load ${GRAMMAR}`);
  }
  return komo;
}

/**
 * @typedef {{ line: number, start: number, end: number, text: string, scopes: string[] }} Token
 * @typedef {{ tokens: Token[], endsInInitialState: boolean }} Tokenized
 */

/**
 * The tokens of `source`, line by line, and whether the grammar is back in its
 * initial state after the last line (no string, comment or bracket left open).
 *
 * @param {string} source
 * @returns {Promise<Tokenized>}
 */
async function tokenize(source) {
  const komo = await grammar();
  /** @type {Token[]} */
  const tokens = [];
  let state = textmate.INITIAL;
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((text, line) => {
    const result = komo.tokenizeLine(text, state);
    for (const token of result.tokens) {
      tokens.push({
        line: line + 1,
        start: token.startIndex,
        end: Math.min(token.endIndex, text.length),
        text: text.slice(token.startIndex, token.endIndex),
        scopes: token.scopes,
      });
    }
    state = result.ruleStack;
  });
  // Depth 1 is the grammar's root rule: nothing else is open.
  return { tokens, endsInInitialState: state.depth <= 1 };
}

module.exports = { GRAMMAR, tokenize };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node tests/tokenize.js FILE.komo');
    process.exit(2);
  }
  tokenize(fs.readFileSync(file, 'utf8')).then(({ tokens, endsInInitialState }) => {
    for (const t of tokens) {
      if (t.text.trim() !== '') {
        console.log(`${t.line}:${t.start}\t${JSON.stringify(t.text)}\t${t.scopes.slice(1).join(' ')}`);
      }
    }
    console.log(endsInInitialState ? '(ends in the initial state)' : '(ends with a rule still open)');
  });
}
