// @ts-check
/**
 * The "Komo: Show Workflow Graph" command's pieces that need no editor: which workflow
 * the cursor is in, the `komo graph` command line, and the webview's HTML. Kept apart
 * from `extension.js` (and free of the `vscode` module) so node tests can check them.
 */
'use strict';

/**
 * The workflow whose `workflow NAME {` header is the last one before `offset` (the one
 * the cursor is in or under), else the file's first; `undefined` when there is none.
 * Comments and strings are not parsed: a header is `workflow` at the start of a line.
 *
 * @param {string} text the document's text
 * @param {number} offset the cursor, as an offset into `text`
 * @returns {string | undefined}
 */
function workflowAt(text, offset) {
  const header = /^[ \t]*workflow[ \t]+([A-Za-z_][A-Za-z0-9_]*)/gm;
  /** @type {string | undefined} */
  let first;
  /** @type {string | undefined} */
  let before;
  for (const match of text.matchAll(header)) {
    first ??= match[1];
    if ((match.index ?? 0) <= offset) {
      before = match[1];
    }
  }
  return before ?? first;
}

/**
 * `komo graph FILE [--workflow NAME] --format svg`, run with the same binary as the
 * language server.
 *
 * @param {string} komo the komo binary (as `serverCommand` resolved it)
 * @param {string} file the saved `.komo` file
 * @param {string | undefined} workflow the workflow to draw
 * @returns {{ command: string, args: string[] }}
 */
function graphCommand(komo, file, workflow) {
  const args = ['graph', file];
  if (workflow) {
    args.push('--workflow', workflow);
  }
  args.push('--format', 'svg');
  return { command: komo, args };
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * The webview's page: the SVG that `komo graph` printed, or the error it reported. No
 * script runs in it; the SVG carries its own styles.
 *
 * @param {{ title: string, svg?: string, error?: string }} content
 * @returns {string}
 */
function webviewHtml(content) {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
  const body =
    content.svg !== undefined && content.svg.trimStart().startsWith('<svg')
      ? `<main class="graph">${content.svg}</main>`
      : `<main class="error"><h1>No graph</h1><pre>${escapeHtml(content.error ?? 'komo graph printed no SVG')}</pre></main>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(content.title)}</title>
<style>body{margin:0;padding:12px;background:#fff;color:#111827}main.graph{overflow:auto}pre{white-space:pre-wrap}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

module.exports = { workflowAt, graphCommand, webviewHtml, escapeHtml };
