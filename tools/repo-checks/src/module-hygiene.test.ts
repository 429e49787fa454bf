/**
 * Rules of the model's modules that types cannot state, read from the
 * sources with the TypeScript parser:
 * - importing a module does nothing: its top level only declares (no call
 *   or assignment statements, e.g. registering a callback with another module);
 * - the model keeps no per-kernel state at module level (a WeakMap or Map
 *   keyed by Kernel hides state from the invariants and the fingerprint;
 *   it belongs in a named field of the Kernel, subsystem_state.ts);
 * - kernel-core has no cycle of value imports (type-only imports may cycle);
 * - a page table's entries are written only by mm.ts's setPte / setPmd /
 *   fillPtes / pmdToPtes, and tables freed only by its dropPt, which bump
 *   the table's generation (what lets the balloon meter skip a table nothing
 *   wrote since it last looked).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'testing' && name !== 'node_modules' && name !== 'dist' && name !== 'fixtures') out.push(...sources(p));
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const parse = (file: string) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
/** A source text as the checks see a file, named probe.ts at the root. */
const probe = (text: string) => ts.createSourceFile(join(root, 'probe.ts'), text, ts.ScriptTarget.ES2022, true);

/** Top-level statements that do something when the module is imported. */
export function topLevelEffects(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isExpressionStatement(st) || ts.isIfStatement(st) || ts.isForStatement(st) || ts.isForOfStatement(st) || ts.isWhileStatement(st)) {
      const { line } = sf.getLineAndCharacterOfPosition(st.getStart());
      out.push(`${relative(root, sf.fileName)}:${line + 1}: ${st.getText().split('\n')[0]!.slice(0, 80)}`);
    }
  }
  return out;
}

/** Module-level `new WeakMap`/`new Map` whose key type mentions Kernel or MM: per-kernel state outside the Kernel. */
export function moduleLevelKernelState(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      if (!init || !ts.isNewExpression(init)) continue;
      const ctor = init.expression.getText();
      const key = init.typeArguments?.[0]?.getText() ?? '';
      if ((ctor === 'WeakMap' || ctor === 'Map') && /\b(Kernel|MM)\b/.test(key)) {
        const { line } = sf.getLineAndCharacterOfPosition(st.getStart());
        out.push(`${relative(root, sf.fileName)}:${line + 1}: ${d.name.getText()} = new ${ctor}<${key}, …>`);
      }
    }
  }
  return out;
}

/** Writes of a page table's PTEs or PMD (`x.ptes[i] = …`, `x.pmd |= …`, `x.ptes.fill(…)`, `x.pmd++`), or of an mm's table map (`mm.pts.delete(…)`), outside mm.ts. */
export function pageTableWrites(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const isEntry = (e: ts.Expression): boolean =>
    (ts.isElementAccessExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'ptes') ||
    (ts.isPropertyAccessExpression(e) && e.name.text === 'pmd');
  const report = (n: ts.Node) => {
    const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
    out.push(`${relative(root, sf.fileName)}:${line + 1}: ${n.getText().split('\n')[0]!.slice(0, 80)}`);
  };
  const visit = (n: ts.Node): void => {
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      isEntry(n.left)
    )
      report(n);
    else if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) &&
      isEntry(n.operand)
    )
      report(n);
    else if (
      ts.isCallExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      ts.isPropertyAccessExpression(n.expression.expression) &&
      ((n.expression.expression.name.text === 'ptes' && ['fill', 'set', 'copyWithin'].includes(n.expression.name.text)) ||
        (n.expression.expression.name.text === 'pts' && ['delete', 'clear', 'set'].includes(n.expression.name.text)))
    )
      report(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Value imports between the files of one directory (import type and `import { type X }`-only are left out). */
function valueImports(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  for (const st of sf.statements) {
    if ((!ts.isImportDeclaration(st) && !ts.isExportDeclaration(st)) || !st.moduleSpecifier) continue;
    const spec = (st.moduleSpecifier as ts.StringLiteral).text;
    if (!spec.startsWith('./')) continue;
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      if (!c || c.isTypeOnly) continue;
      const named = c.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      if (!c.name && named && named.every((e) => e.isTypeOnly)) continue;
    } else if (st.isTypeOnly) continue;
    out.push(resolve(dirname(sf.fileName), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

export function valueCycles(files: readonly string[]): string[] {
  const graph = new Map(files.map((f) => [f, valueImports(parse(f))]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (!graph.has(g)) continue;
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g].map((x) => relative(join(root, 'packages'), x)).join(' -> '));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

const modelDirs = readdirSync(join(root, 'packages'))
  .filter((d) => d === 'kernel-core' || d === 'events' || d === 'engine' || d.startsWith('policy-'))
  .map((d) => join(root, 'packages', d, 'src'));

describe('module hygiene of the model', () => {
  it('importing a module of the model or a policy runs no statement (no registration as a side effect)', () => {
    const effects = modelDirs.flatMap((d) => sources(d).flatMap((f) => topLevelEffects(parse(f))));
    expect(effects).toEqual([]);
  });

  it('no module keeps per-kernel state in a module-level WeakMap or Map', () => {
    const hidden = modelDirs.flatMap((d) => sources(d).flatMap((f) => moduleLevelKernelState(parse(f))));
    expect(hidden).toEqual([]);
  });

  it('kernel-core has no cycle of value imports', () => {
    const cycles = valueCycles(sources(join(root, 'packages/kernel-core/src')));
    expect(cycles).toEqual([]);
  });

  it('only mm.ts writes page-table entries, so every write bumps the table generation', () => {
    const mmTs = join(root, 'packages/kernel-core/src/mm.ts');
    const writes = modelDirs.flatMap((d) =>
      sources(d)
        .filter((f) => f !== mmTs)
        .flatMap((f) => pageTableWrites(parse(f))),
    );
    expect(writes).toEqual([]);
  });

  it('the page-table write check sees an element store, a compound PMD store, a fill, an increment and a table freed', () => {
    const sf = probe(
      'pt.ptes[i] = 0;\nconst v = pt.ptes[i];\npt.pmd |= 2;\nif (pt.pmd === 0) x.ptes.fill(0);\nsaved.table[e]!.pmd++;\nmm.pts.delete(3);\nmm.pts.get(3);\n',
    );
    expect(pageTableWrites(sf)).toEqual([
      'probe.ts:1: pt.ptes[i] = 0',
      'probe.ts:3: pt.pmd |= 2',
      'probe.ts:4: x.ptes.fill(0)',
      'probe.ts:5: saved.table[e]!.pmd++',
      'probe.ts:6: mm.pts.delete(3)',
    ]);
  });

  it('the checks see what they look for (a registration call, a WeakMap keyed by Kernel)', () => {
    const sf = probe("import { x } from './y.js';\nconst s = new WeakMap<Kernel, number>();\nsetWalk(() => 1);\nexport const ok = 1;\n");
    expect(topLevelEffects(sf)).toEqual(['probe.ts:3: setWalk(() => 1);']);
    expect(moduleLevelKernelState(sf)).toEqual(['probe.ts:2: s = new WeakMap<Kernel, …>']);
  });
});
