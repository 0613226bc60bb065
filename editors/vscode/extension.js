// @ts-check
/**
 * The Komo extension: starts `komo lsp` (the path comes from the `komo.path` setting)
 * and connects it to every `.komo` document. Highlighting, the language configuration
 * and the `$komo` problem matcher are declared in package.json and need no code.
 */
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
const { execFile } = require('node:child_process');
const { serverCommand } = require('./server');
const { workflowAt, graphCommand, webviewHtml } = require('./graph');

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
    vscode.commands.registerCommand('komo.showGraph', () => showGraph(context)),
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

/** @type {Map<string, vscode.WebviewPanel>} the graph panel of each document */
const graphs = new Map();

/**
 * "Komo: Show Workflow Graph": the workflow under the cursor drawn by `komo graph` in a
 * webview beside the source, drawn again each time the file is saved.
 *
 * @param {vscode.ExtensionContext} context
 */
async function showGraph(context) {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'komo') {
    await vscode.window.showInformationMessage('Komo: open a .komo file to see its workflow graph.');
    return;
  }
  const document = editor.document;
  if (document.isUntitled) {
    await vscode.window.showInformationMessage('Komo: save the file first; the graph is drawn from the saved file.');
    return;
  }
  const key = document.uri.toString();
  const workflow = workflowAt(document.getText(), document.offsetAt(editor.selection.active));
  let panel = graphs.get(key);
  if (panel) {
    panel.reveal(vscode.ViewColumn.Beside, true);
  } else {
    const created = vscode.window.createWebviewPanel(
      'komoGraph',
      `Graph: ${workflow ?? document.fileName}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: false },
    );
    panel = created;
    graphs.set(key, created);
    const saved = vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.uri.toString() === key) {
        void drawGraph(created, doc.fileName, workflow);
      }
    });
    created.onDidDispose(() => {
      graphs.delete(key);
      saved.dispose();
    });
    context.subscriptions.push(saved);
  }
  await drawGraph(panel, document.fileName, workflow);
}

/**
 * Runs `komo graph` and shows its SVG (or its error) in `panel`.
 *
 * @param {vscode.WebviewPanel} panel
 * @param {string} file
 * @param {string | undefined} workflow
 */
function drawGraph(panel, file, workflow) {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const setting = vscode.workspace.getConfiguration('komo').get('path', 'komo');
  const komo = serverCommand(setting, folder).command;
  const { command, args } = graphCommand(komo, file, workflow);
  const title = workflow ?? file;
  return new Promise((resolve) => {
    execFile(command, args, { cwd: folder, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      panel.title = `Graph: ${title}`;
      panel.webview.html = error
        ? webviewHtml({ title, error: stderr || error.message })
        : webviewHtml({ title, svg: stdout });
      resolve(undefined);
    });
  });
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
