import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
/** What a source file imports: the module path, and whether the import is of types only. */
const imports = (source: string) => [...source.matchAll(/^import\s(type\s)?[^;]*?from\s+'([^']+)'/gms)].map((m) => ({ path: m[2]!, typeOnly: !!m[1] }));
const sources = (dir: string, recursive = false): string[] =>
  fs.readdirSync(path.join(root, dir), { recursive }).map(String).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));

/** The seams of the forums split: who may reach what. */
describe('forums and moderation boundaries', () => {
  it('federation reaches forum and account data only through their services', () => {
    for (const file of sources('federation', true)) {
      const reached = imports(read(file)).filter(
        (i) => /server\/forums\/[^/]+\.collections\.js$/.test(i.path) || (/server\/accounts\/[^/]+\.collections\.js$/.test(i.path) && !i.typeOnly),
      );
      assert.deepEqual(reached, [], `${file} imports neither the forums' collections nor the accounts' collection specs`);
    }
  });

  it('federation takes the anonymity rule from the forums instead of deciding it', () => {
    // A property read such as `post.anonymous`; a catalogue key in quotes ('post.anonymous') is text, not a read.
    const authorField = /(?<![\w$'".])[A-Za-z_$][\w$]*\??\.(?:anonymous|authorId)\b/;
    for (const file of sources('federation', true)) assert.doesNotMatch(read(file), authorField, `${file} reads no post's author fields`);
  });

  it('moderation depends on nothing of the forums (the forums provide its content port)', () => {
    for (const file of sources('server/moderation')) {
      assert.deepEqual(
        imports(read(file)).filter((i) => i.path.includes('/forums/')),
        [],
        `${file} imports nothing from server/forums`,
      );
    }
  });

  it('keeps every forums and moderation source file under 500 lines', () => {
    for (const file of [...sources('server/forums'), ...sources('server/moderation')]) {
      const lines = read(file).split('\n').length;
      assert.ok(lines <= 500, `${file} has ${lines} lines`);
    }
  });
});
