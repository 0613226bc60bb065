// @ts-check
/** How `komo.path` becomes the language server's command line. */
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');
const { serverCommand } = require('../server');

const folder = path.join(path.sep, 'home', 'ana', 'flows');
const home = path.join(path.sep, 'home', 'ana');

test('the default is `komo lsp` from PATH', () => {
  assert.deepEqual(serverCommand(undefined, folder, home), { command: 'komo', args: ['lsp'] });
  assert.deepEqual(serverCommand('', folder, home), { command: 'komo', args: ['lsp'] });
  assert.deepEqual(serverCommand('  ', undefined, home), { command: 'komo', args: ['lsp'] });
});

test('a bare name stays a PATH lookup; an absolute path is kept', () => {
  assert.equal(serverCommand('komo-nightly', folder, home).command, 'komo-nightly');
  const absolute = path.join(path.sep, 'opt', 'komo', 'bin', 'komo');
  assert.equal(serverCommand(absolute, folder, home).command, absolute);
});

test('a relative path is taken from the workspace folder, `~` from home', () => {
  assert.equal(serverCommand('target/debug/komo', folder, home).command, path.join(folder, 'target', 'debug', 'komo'));
  assert.equal(serverCommand('./komo', folder, home).command, path.join(folder, 'komo'));
  assert.equal(serverCommand('~/.cargo/bin/komo', folder, home).command, path.join(home, '.cargo', 'bin', 'komo'));
  // Without a folder there is nothing to resolve against: the path is used as given.
  assert.equal(serverCommand('target/debug/komo', undefined, home).command, 'target/debug/komo');
});
