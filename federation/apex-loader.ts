import { createRequire, Module } from 'node:module';
import type { Apex, ApexSettings } from './apex-types.js';

const require = createRequire(import.meta.url);

type AnyFunction = (...args: unknown[]) => unknown;
type AnyClass = new (...args: unknown[]) => object;

/**
 * Loads activitypub-express with three of the modules its own modules load at once deferred to their first use,
 * which in Parasol never comes:
 * - its bundled MongoDB store (activitypub-express/store), with a MongoDB driver 4.x and its BSON serialiser: apex is
 *   given PortApexStore instead;
 * - `request` (request-promise-native, with its HTTP signature, cookie jar and HAR validation modules): apex uses it
 *   to fetch objects and deliver activities, which Parasol does itself (apex.ts replaces requestObject and the
 *   delivery loop; delivery-worker.ts);
 * - jsonld's HTTP client (@digitalbazaar/http-client, with an undici of its own), which its default document loader
 *   fetches contexts with: apex is given a loader of bundled contexts (contexts.ts).
 * Each is replaced in the module cache by a stand-in that loads the real module when first called, so apex behaves
 * the same either way; until then their memory is not held.
 */
export function loadActivitypubExpress(): (settings: ApexSettings) => Apex {
  const apexRequire = createRequire(require.resolve('activitypub-express'));
  const storeFile = apexRequire.resolve('./store');
  const requestFile = apexRequire.resolve('request-promise-native');
  defer(storeFile, (load) =>
    // A constructor that returns the real store: `new ApexStore()` gets what it would have got.
    function ApexStore(...args: unknown[]) {
      return new (load() as AnyClass)(...args);
    },
  );
  defer(requestFile, (load) => (...args: unknown[]) => (load() as AnyFunction)(...args));
  const httpClientFile = createRequire(apexRequire.resolve('jsonld')).resolve('@digitalbazaar/http-client');
  defer(httpClientFile, (load) => ({
    httpClient: new Proxy({}, { get: (_target, key) => Reflect.get((load() as { httpClient: object }).httpClient, key) as unknown }),
  }));
  return require('activitypub-express') as (settings: ApexSettings) => Apex;
}

/** Puts a stand-in for `file` in the module cache, unless the real module is loaded already. */
function defer(file: string, standIn: (load: () => unknown) => unknown): void {
  if (require.cache[file]) return;
  const placeholder = new Module(file);
  let real: unknown = null;
  const load = () => {
    if (real === null) {
      if (require.cache[file] === placeholder) delete require.cache[file];
      real = require(file) as unknown;
    }
    return real;
  };
  placeholder.filename = file;
  placeholder.loaded = true;
  placeholder.exports = standIn(load);
  require.cache[file] = placeholder;
}
