/**
 * The dump parsers' registry (src/dumps/registry.ts): every parser's info record is complete, ids and
 * display names are unique, every command id of `RecordsOf` has a parser, and what the registry
 * derives (COMMAND_NAMES, file-name hints, typed commands) answers for each parser's own names.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMAND_NAMES, nameHints, parseDump, parserFor, parsers, registry } from '../../src/dumps/index.js';
import { TYPED_COMMANDS } from '../../src/dumps/registry.js';
import { commandFor } from '../../src/dumps/session.js';
import type { DumpCommand, DumpParser, TypedCommand } from '../../src/dumps/types.js';

// Compile-time: a RecordsOf id without a registered parser makes this file fail to compile.
type Registered = (typeof registry)[number]['info']['command'];
type Missing = Exclude<DumpCommand, Registered | 'unknown'>;
const noneMissing: [Missing] extends [never] ? true : { noParserFor: Missing } = true;

/** The ids of `RecordsOf` as written in src/dumps/types.ts (the DumpCommand union), read at run time. */
function recordsOfIds(): string[] {
  const src = readFileSync(fileURLToPath(new URL('../../../src/dumps/types.ts', import.meta.url)), 'utf8');
  const body = /export interface RecordsOf \{([^}]*)\}/.exec(src);
  assert.ok(body, 'no `export interface RecordsOf { ... }` in src/dumps/types.ts');
  return [...body![1].matchAll(/^\s*'?([a-z][a-z0-9-]*)'?\s*:/gm)].map((m) => m[1]);
}

const ids = [...new Set(parsers.map((p) => p.info.command))];
const ofId = (id: DumpCommand): DumpParser[] => parsers.filter((p) => p.info.command === id);

function checkTyped(id: string, t: TypedCommand): void {
  if ('programs' in t) {
    assert.ok(Array.isArray(t.programs) && t.programs.length > 0, `${id}: typed entry without programs`);
    for (const p of t.programs) assert.ok(/^[A-Za-z0-9][\w.+-]*$/.test(p), `${id}: program ${JSON.stringify(p)} is not a bare program name`);
    assert.ok(t.args === undefined || typeof t.args === 'function', `${id}: typed args must be a function`);
  } else {
    assert.instance(t.file, RegExp, `${id}: typed entry is neither { programs } nor { file: RegExp }`);
  }
}

test('registry: every parser has a complete info record', () => {
  assert.ok(parsers.length >= 12, `only ${parsers.length} parsers registered`);
  assert.is(new Set(parsers).size, parsers.length, 'a parser is registered twice');
  for (const p of parsers) {
    const i = p.info;
    const id = String(i.command);
    assert.ok(/^[a-z][a-z0-9-]*$/.test(id) && id !== 'unknown', `bad command id ${JSON.stringify(id)}`);
    assert.type(i.displayName, 'string', `${id}: displayName`);
    assert.ok(i.displayName.trim() !== '' && i.displayName === i.displayName.trim(), `${id}: empty or padded displayName`);
    assert.type(i.description, 'string', `${id}: description`);
    assert.ok(i.description.trim().length > 3, `${id}: empty description`);
    assert.type(i.detect, 'function', `${id}: detect`);
    assert.type(p.parse, 'function', `${id}: parse`);
    if (i.nameHint !== undefined) {
      assert.instance(i.nameHint.pattern, RegExp, `${id}: nameHint.pattern`);
      assert.ok(Number.isFinite(i.nameHint.rank), `${id}: nameHint.rank`);
      assert.not.ok(i.nameHint.pattern.global || i.nameHint.pattern.sticky, `${id}: a /g or /y name pattern keeps state between tests`);
    }
    if (i.typed !== undefined) {
      assert.ok(Array.isArray(i.typed) && i.typed.length > 0, `${id}: typed is empty`);
      for (const t of i.typed) checkTyped(id, t);
    }
    const field: string | undefined = i.listField;
    if (field !== undefined) assert.ok(field !== '' && field !== 'line', `${id}: listField ${JSON.stringify(field)}`);
  }
});

test('registry: per command id one parser gives the name hint and typed commands, and all share its display name', () => {
  for (const id of ids) {
    const ps = ofId(id);
    assert.is(ps.filter((p) => p.info.nameHint).length, 1, `${id}: parsers with a nameHint`);
    assert.is(ps.filter((p) => p.info.typed).length, 1, `${id}: parsers with typed commands`);
    assert.equal([...new Set(ps.map((p) => p.info.displayName))], [ps[0].info.displayName], `${id}: parsers disagree on the display name`);
    assert.is(parserFor(id), ps[0]);
  }
});

test('registry: command ids, display names and descriptions are unique', () => {
  const names = ids.map((id) => ofId(id)[0].info.displayName);
  assert.is(new Set(names).size, names.length, `display names repeat: ${names.join(', ')}`);
  assert.not.ok(names.includes('unknown'), "a display name is 'unknown'");
  const descriptions = parsers.map((p) => p.info.description);
  assert.is(new Set(descriptions).size, descriptions.length, 'two parsers have one description');
  assert.equal(Object.keys(COMMAND_NAMES).sort(), [...ids, 'unknown'].sort());
  for (const id of ids) assert.is(COMMAND_NAMES[id], ofId(id)[0].info.displayName);
  assert.is(COMMAND_NAMES.unknown, 'unknown');
});

test("registry: every command id of the union (RecordsOf) has a parser, apart from 'unknown'", () => {
  assert.ok(noneMissing);
  const declared = recordsOfIds();
  assert.ok(declared.includes('unknown') && declared.includes('route-n'), `RecordsOf read as ${declared.join(', ')}`);
  for (const id of declared) if (id !== 'unknown') assert.ok(ids.includes(id as DumpCommand), `${id}: in RecordsOf but no registered parser`);
  for (const id of ids) assert.ok(declared.includes(id), `${id}: registered but not in RecordsOf`);
});

test('registry: a file named after a command id is hinted to that command first', () => {
  for (const id of ids) {
    assert.is(nameHints(`node1/${id}.txt`)[0], id, `${id}.txt hints ${nameHints(`${id}.txt`).join(', ')}`);
    assert.is(nameHints(`node1/${id.toUpperCase()}.OUT`)[0], id);
  }
  // the hints are ordered by rank, not by registry order: "ip-route" also matches route-n's pattern
  assert.equal(nameHints('ip-route.txt'), ['ip-route', 'route-n']);
  assert.equal(nameHints('x/notes.txt'), []);
});

test("registry: a command's display name, typed at a prompt, maps to it and to no other parser's pattern", () => {
  for (const id of ids) {
    const name = ofId(id)[0].info.displayName;
    assert.is(commandFor(name)?.command, id, `typed ${JSON.stringify(name)}`);
    const ws = name.split(/\s+/);
    const prog = ws[0].replace(/^.*\//, '');
    const others = TYPED_COMMANDS.filter(
      (t) => t.command !== id && 'programs' in t.typed && t.typed.programs.includes(prog) && (!t.typed.args || t.typed.args(ws.slice(1))),
    );
    assert.equal(
      others.map((t) => t.command),
      [],
      `typed ${JSON.stringify(name)} also matches other parsers' patterns`,
    );
    // and in a pasted session the prompt names that parser even for output it cannot read
    const s = parseDump('session.txt', `$ ${name}\nthis is not ${name} output\n`);
    assert.is(s[0].command, id, `$ ${name}`);
    assert.is(s[0].commandLine, name);
  }
});

test('registry: typed commands of every parser are in the derived list, in registry order', () => {
  const expected = parsers.flatMap((p) => (p.info.typed ?? []).map((t) => [p.info.command, t] as const));
  assert.is(TYPED_COMMANDS.length, expected.length);
  TYPED_COMMANDS.forEach((t, i) => {
    assert.is(t.command, expected[i][0]);
    assert.is(t.typed, expected[i][1]);
  });
});

test.run();
