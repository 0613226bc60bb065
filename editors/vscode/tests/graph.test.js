// @ts-check
/** The "Show Workflow Graph" command: the workflow under the cursor, the command line,
 * the webview's page, and (with KOMO_BIN set, as CI does) the real `komo graph`. */
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');
const { workflowAt, graphCommand, webviewHtml } = require('../graph');

const two = `// two workflows
workflow alpha {
  scope workspace
  trigger Contact.Identified
  stop
}

workflow beta {
  scope workspace
  trigger Contact.Identified
  stop
}
`;

test('the workflow under the cursor is the last header before it, else the first', () => {
  assert.equal(workflowAt(two, 0), 'alpha');
  assert.equal(workflowAt(two, two.indexOf('trigger')), 'alpha');
  assert.equal(workflowAt(two, two.indexOf('workflow beta')), 'beta');
  assert.equal(workflowAt(two, two.length), 'beta');
  assert.equal(workflowAt('// nothing here', 3), undefined);
});

test('the command draws SVG with the language server binary', () => {
  assert.deepEqual(graphCommand('/opt/komo', '/w/a.komo', 'beta'), {
    command: '/opt/komo',
    args: ['graph', '/w/a.komo', '--workflow', 'beta', '--format', 'svg'],
  });
  assert.deepEqual(graphCommand('komo', 'a.komo', undefined).args, ['graph', 'a.komo', '--format', 'svg']);
});

test('the page shows the SVG, or the error escaped, and runs no script', () => {
  const page = webviewHtml({ title: 'alpha', svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' });
  assert.match(page, /<main class="graph"><svg /);
  assert.match(page, /default-src 'none'/);
  assert.doesNotMatch(page, /script-src/);
  const error = webviewHtml({ title: 'x', error: 'error: `a.komo` has <no> workflow' });
  assert.match(error, /&lt;no&gt;/);
  assert.doesNotMatch(error, /<no>/);
  // Output that is not SVG is never put in the page as markup.
  const odd = webviewHtml({ title: 'x', svg: '<img src=x onerror=alert(1)>' });
  assert.doesNotMatch(odd, /<img/);
});

test('the real `komo graph` output makes a page (KOMO_BIN)', (t) => {
  const komo = process.env.KOMO_BIN;
  if (!komo) {
    t.skip('set KOMO_BIN to a built komo binary (CI does)');
    return;
  }
  const file = path.join(__dirname, '..', '..', '..', 'examples', 'sponsor_lead_routing.komo');
  const { command, args } = graphCommand(komo, file, workflowAt('workflow sponsor_lead_routing {', 0));
  const svg = execFileSync(command, args, { encoding: 'utf8' });
  const page = webviewHtml({ title: 'sponsor_lead_routing', svg });
  assert.match(page, /<main class="graph"><svg [^>]*class="komo-graph"/);
  assert.match(page, /data-step="post_to_sponsor_a"/);
});
