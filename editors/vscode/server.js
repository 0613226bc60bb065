// @ts-check
/**
 * How the extension starts the language server: `<komo.path> lsp`, talking JSON-RPC
 * over stdin and stdout. Kept apart from `extension.js` (and free of the `vscode`
 * module) so that node tests can check it without an editor.
 */
'use strict';

const os = require('node:os');
const path = require('node:path');

/** The setting's default: `komo` looked up on `PATH`. */
const DEFAULT_PATH = 'komo';

/**
 * The command line of the language server for a `komo.path` setting.
 *
 * - empty or unset: `komo`, looked up on `PATH`;
 * - a bare name (`komo`, `komo-nightly`): looked up on `PATH` as it is;
 * - `~/…`: under the home directory;
 * - a relative path with a separator (`target/debug/komo`): from the first workspace
 *   folder, so a repository can point at its own build;
 * - an absolute path: as it is.
 *
 * @param {string | undefined | null} setting the value of `komo.path`
 * @param {string | undefined} workspaceFolder the first workspace folder's path, if any
 * @param {string} [home] the home directory (for tests)
 * @returns {{ command: string, args: string[] }}
 */
function serverCommand(setting, workspaceFolder, home = os.homedir()) {
  const raw = (setting ?? '').trim();
  let command = raw === '' ? DEFAULT_PATH : raw;
  if (command === '~' || command.startsWith('~/') || command.startsWith('~\\')) {
    command = path.join(home, command.slice(1));
  } else if (!path.isAbsolute(command) && /[\\/]/.test(command) && workspaceFolder) {
    command = path.join(workspaceFolder, command);
  }
  return { command, args: ['lsp'] };
}

module.exports = { DEFAULT_PATH, serverCommand };
