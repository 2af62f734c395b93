import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkImports, importEdges, moduleOf, type ImportEdge } from './import-rules.js';

const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });
const rules = (edges: ImportEdge[]) => checkImports(edges).map((v) => v.rule);

describe('import rules', () => {
  it('sees a cycle between modules even when no file imports itself back', () => {
    const found = checkImports([
      edge('server/accounts/accounts.pages.ts', 'server/http/pages.ts'),
      edge('server/http/request.ts', 'server/accounts/roles.ts'),
    ]);
    assert.deepEqual(found.map((v) => v.key), ['cycle: server/accounts, server/http']);
    assert.match(found[0]!.message, /server\/http\/request\.ts -> server\/accounts\/roles\.ts/);
  });

  it('names every module of a longer cycle once, and ignores modules that only lead into it', () => {
    const found = checkImports([
      edge('server/accounts/a.ts', 'server/http/b.ts'),
      edge('server/http/b.ts', 'server/views/c.ts'),
      edge('server/views/c.ts', 'server/instance/d.ts'),
      edge('server/instance/d.ts', 'server/accounts/e.ts'),
      edge('server/forums/f.ts', 'server/accounts/a.ts'),
    ]);
    assert.deepEqual(found.map((v) => v.key), ['cycle: server/accounts, server/http, server/instance, server/views']);
  });

  it('counts federation as one module, its subfolders included, and the files directly in server/ as none', () => {
    assert.equal(moduleOf('federation/inbound/create.handler.ts'), 'federation');
    assert.equal(moduleOf('federation/posts.ts'), 'federation');
    assert.equal(moduleOf('server/app.ts'), null);
    assert.equal(moduleOf('server/forums/forums.service.ts'), 'server/forums');
    assert.deepEqual(rules([edge('federation/inbound/create.ts', 'federation/posts.ts'), edge('federation/posts.ts', 'federation/inbound/create.ts')]), []);
    assert.deepEqual(rules([edge('server/forums/forums.service.ts', 'federation/posts.ts'), edge('federation/inbound/create.ts', 'server/forums/forums.service.ts')]), ['module-cycle']);
    assert.deepEqual(rules([edge('server/app.ts', 'server/forums/forums.service.ts'), edge('server/forums/forums.pages.ts', 'server/context.ts')]), []);
  });

  it('leaves out type-only imports, which are erased', () => {
    assert.deepEqual(rules([edge('server/accounts/a.ts', 'server/http/b.ts'), edge('server/http/b.ts', 'server/accounts/a.ts', true)]), []);
    assert.deepEqual(rules([edge('federation/posts.ts', 'server/forums/forums.collections.ts', true)]), []);
  });

  it("refuses a value import of another module's collections, from any module, and allows a module its own", () => {
    assert.deepEqual(rules([edge('federation/posts.ts', 'server/forums/forums.collections.ts')]), ['foreign-collections']);
    assert.deepEqual(rules([edge('server/rooms/rooms.views.ts', 'server/moderation/moderation.collections.ts')]), ['foreign-collections']);
    assert.deepEqual(rules([edge('server/forums/forums.service.ts', 'server/forums/forums.collections.ts')]), []);
    assert.deepEqual(rules([edge('server/app.ts', 'server/forums/forums.collections.ts')]), []);
  });

  it('lets server/core import only itself and the type of the config', () => {
    assert.deepEqual(rules([edge('server/core/rate-limit.ts', 'server/config.ts', true), edge('server/core/validate.ts', 'server/core/errors.ts')]), []);
    assert.deepEqual(rules([edge('server/core/rate-limit.ts', 'server/config.ts')]), ['core-imports']);
    assert.deepEqual(rules([edge('server/core/errors.ts', 'server/http/request.ts', true)]), ['core-imports']);
    assert.deepEqual(rules([edge('server/core/errors.ts', 'server/logger.ts')]), ['core-imports']);
  });

  it('reads from the sources which imports are type-only', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const edges = importEdges(root);
    const of = (from: string, to: string) => edges.filter((e) => e.from === from && e.to === to);
    assert.deepEqual(of('server/core/rate-limit.ts', 'server/config.ts').map((e) => e.typeOnly), [true], 'rate-limit.ts takes only the config type');
    assert.ok(of('server/app.ts', 'server/views/layout.ts').some((e) => !e.typeOnly), 'app.ts imports pageContext, a value');
  });
});
