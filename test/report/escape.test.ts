import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeHtml, escapeMarkdown, markdownCode, mermaidLabel, svgText, terminalText } from '../../src/report/escape.js';

test('escapeHtml: text and attribute contexts', () => {
  assert.is(escapeHtml(`<script>alert(1)</script>`), '&lt;script&gt;alert(1)&lt;/script&gt;');
  assert.is(escapeHtml(`a"b'c\`d&e`), 'a&quot;b&#39;c&#96;d&amp;e');
  assert.is(escapeHtml('x\u0000y\u001b[31m'), 'x\uFFFDy\uFFFD[31m');
  assert.is(escapeHtml(undefined), '');
  assert.is(escapeHtml(8472), '8472');
});

test('svgText folds newlines', () => {
  assert.is(svgText('a\nb<c>'), 'a b&lt;c&gt;');
});

test('escapeMarkdown: cells keep tables intact', () => {
  const s = escapeMarkdown('a|b`c<d>\ne*f_g[h](i)', 'cell');
  assert.not.ok(/(^|[^\\])\|/.test(s), s);
  assert.not.ok(s.includes('<d>'));
  assert.ok(s.includes('<br>'));
  assert.is(s, 'a\\|b\\`c&lt;d><br>e\\*f\\_g\\[h\\](i)');
  assert.is(escapeMarkdown('> quote\n# head', 'inline'), '\\> quote \\# head');
  assert.is(escapeMarkdown('1. item'), '1\\. item');
});

test('markdownCode: fences around backticks, pipes escaped in cells', () => {
  assert.is(markdownCode('a`b'), '``a`b``');
  assert.is(markdownCode('`x`'), '`` `x` ``');
  assert.is(markdownCode('a|b', true), '`a\\|b`');
});

test('mermaidLabel: no quote, bracket, angle, hash, backtick or newline survives', () => {
  const s = mermaidLabel(`<script>"x"</script> [a] (b) {c} #d \`e\` |f| ;\nnext`);
  assert.not.match(s, /["<>[\](){}`|\n]/);
  assert.ok(s.includes('#34;'));
  assert.ok(s.includes('#60;script#62;'));
  // every '#' starts an entity
  assert.not.match(s.replace(/#\d+;/g, ''), /#/);
});

test('terminalText strips escape sequences and controls', () => {
  assert.is(terminalText('a\u001b[2Jb\u0007c\td'), 'ab?c d');
});

test.run();
