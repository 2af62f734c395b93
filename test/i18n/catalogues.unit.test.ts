import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { IntlMessageFormat } from 'intl-messageformat';
import { flattenCatalogue, loadI18n } from '../../server/i18n/i18n.js';

const dir = path.resolve('locales');
const read = (file: string) => flattenCatalogue(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
const en = read('en.json');
const keys = (c: Record<string, unknown>) => Object.keys(c).filter((k) => k !== '$meta');

type MessageElement = ReturnType<IntlMessageFormat['getAst']>[number];

/** The names of the {placeholders} a message uses, read from its parsed form (a select's options are words, not names). */
function placeholders(message: string): string[] {
  const names = new Set<string>();
  const visit = (elements: readonly MessageElement[]): void => {
    for (const element of elements) {
      if ('value' in element && typeof element.value === 'string' && element.type !== 0) names.add(element.value);
      if ('options' in element) for (const option of Object.values(element.options)) visit(option.value);
      if ('children' in element) visit(element.children);
    }
  };
  visit(new IntlMessageFormat(message, 'en', undefined, { ignoreTag: true }).getAst());
  return [...names].sort();
}

describe('message catalogues', () => {
  it('has the twelve languages workers asked for', () => {
    for (const tag of ['en', 'zh-Hans', 'es', 'pt', 'fr', 'ru', 'my', 'th', 'vi', 'id', 'sw', 'ar']) assert.ok(files.includes(`${tag}.json`), tag);
  });

  it('marks Arabic right-to-left and every machine-made catalogue as such', () => {
    assert.equal((read('ar.json').$meta as { dir: string }).dir, 'rtl');
    for (const file of files.filter((f) => f !== 'en.json')) assert.equal((read(file).$meta as { machineTranslated: boolean }).machineTranslated, true, file);
  });

  for (const file of files) {
    describe(file, () => {
      const catalogue = read(file);
      it('has every key of en and no stale keys', () => {
        assert.deepEqual(keys(catalogue).filter((k) => !(k in en)), [], 'stale keys');
        assert.deepEqual(keys(en).filter((k) => !(k in catalogue)), [], 'missing keys');
      });
      it('declares its name, direction and whether a machine translated it', () => {
        const meta = catalogue.$meta as { name: string; dir: string; machineTranslated: boolean };
        assert.ok(meta.name, 'the catalogue has a name');
        assert.ok(meta.dir === 'ltr' || meta.dir === 'rtl', `dir ${meta.dir}`);
        assert.equal(typeof meta.machineTranslated, 'boolean');
      });
      it('has valid ICU messages with the same placeholders as English', () => {
        for (const key of keys(catalogue)) {
          const message = catalogue[key] as string;
          assert.doesNotThrow(() => new IntlMessageFormat(message, file.slice(0, -5), undefined, { ignoreTag: true }), key);
          assert.deepEqual(placeholders(message), placeholders(en[key] as string), `placeholders of ${key}`);
        }
      });
    });
  }

  it('every key the server code uses exists in en', () => {
    const used = new Set<string>();
    const walk = (d: string) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const src = fs.readFileSync(p, 'utf8');
          for (const m of src.matchAll(/\bt\(\s*'([a-z_]+\.[a-z0-9_.]+)'/g)) used.add(m[1]!);
          for (const m of src.matchAll(/'(validation\.[a-z_]+)'/g)) used.add(m[1]!);
          for (const m of src.matchAll(/(?:unauthorized|forbidden|notFound|conflict|unprocessable|badRequest)\('([a-z_]+)'/g)) used.add(`error.${m[1]}`);
          for (const m of src.matchAll(/new AppError\(\d{3}, '([a-z_]+)'/g)) used.add(`error.${m[1]}`);
        }
      }
    };
    walk(path.resolve('server'));
    assert.deepEqual([...used].filter((k) => !(k in en)).sort(), []);
  });

  it('negotiates languages: explicit choice, then Accept-Language with q-values, then the default', () => {
    const i18n = loadI18n(dir, 'en');
    assert.equal(i18n.negotiate([undefined], 'xx;q=0.9, zh-CN;q=0.8'), 'zh-Hans');
    assert.equal(i18n.negotiate([undefined], 'zh-CN;q=0.5, fr-CA;q=0.8'), 'fr', 'a region falls back to its language');
    assert.equal(i18n.negotiate([undefined], 'pt-BR'), 'pt');
    assert.equal(i18n.negotiate(['en'], 'zh-CN'), 'en');
    assert.equal(i18n.negotiate([null], 'xx, yy;q=0.5'), 'en');
    assert.equal(i18n.negotiate(['nonsense'], undefined), 'en');
    assert.equal(i18n.t('en', 'recover.codes_left', { count: 1 }), 'You have 1 recovery code left.');
    assert.equal(i18n.t('en', 'recover.codes_left', { count: 0 }), 'You have no recovery codes left.');
  });
});
