// @ts-check
/**
 * The Komo extension: starts `komo lsp` (the path comes from the `komo.path` setting)
 * and connects it to every `.komo` document. Highlighting, the language configuration
 * and the `$komo` problem matcher are declared in package.json and need no code.
 */
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
const { serverCommand } = require('./server');

/** @type {LanguageClient | undefined} */
let client;
/** @type {vscode.LogOutputChannel | undefined} */
let output;

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  output = vscode.window.createOutputChannel('Komo Language Server', { log: true });
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('komo.restartServer', () => restart()),
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration('komo.path')) {
        void restart();
      }
    }),
  );
  await start();
}

/** Creates the client for the current settings and starts it. */
async function start() {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const setting = vscode.workspace.getConfiguration('komo').get('path', 'komo');
  const { command, args } = serverCommand(setting, folder);
  /** @type {import('vscode-languageclient/node').Executable} */
  const executable = { command, args, transport: TransportKind.stdio, options: { cwd: folder } };
  /** @type {import('vscode-languageclient/node').LanguageClientOptions} */
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'komo' },
      { scheme: 'untitled', language: 'komo' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.komo,komo.toml}'),
    },
    outputChannel: output,
  };
  const created = new LanguageClient(
    'komo',
    'Komo Language Server',
    { run: executable, debug: executable },
    clientOptions,
  );
  client = created;
  try {
    await created.start();
  } catch (error) {
    client = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    output?.error(`could not start \`${command} ${args.join(' ')}\`: ${reason}`);
    const choice = await vscode.window.showErrorMessage(
      `Komo: could not start \`${command} lsp\` (${reason}). Set \`komo.path\` to the komo binary.`,
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'komo.path');
    }
  }
}

/** Stops the running client, if any. */
async function stop() {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

/** Stops the server and starts it again (after `komo.path` changed, or on command). */
async function restart() {
  await stop();
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
