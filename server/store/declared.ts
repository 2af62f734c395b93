/**
 * What a store has declared, kept the same way by every adapter: a core per collection, the blobs of each blob
 * collection, and one handle per spec object. declare() replaces cores, so it drops the handles too: a handle made
 * before it would hold a core of an older spec.
 */
import { StoreError, type Blobs, type BlobSpec, type Collection, type CollectionSpec, type Doc } from './port.js';
import type { CompiledSpec } from './query.js';

export class Declared<Core extends { readonly spec: CompiledSpec }> {
  private readonly cores = new Map<string, Core>();
  private readonly blobCollections = new Map<string, Blobs>();
  private handles = new WeakMap<object, Collection<Doc>>();

  /** Takes the cores of newly declared collections, in place of any older core of the same name. */
  addCores(cores: Iterable<Core>): void {
    for (const core of cores) this.cores.set(core.spec.name, core);
    this.handles = new WeakMap();
  }

  core(name: string): Core {
    const core = this.cores.get(name);
    if (core === undefined) throw new StoreError(`collection ${name} is not declared: call store.declare() at start-up`);
    return core;
  }

  /** The core of `name`, or undefined where none is declared (a name read from the database, say). */
  coreIfDeclared(name: string): Core | undefined {
    return this.cores.get(name);
  }

  allCores(): IterableIterator<Core> {
    return this.cores.values();
  }

  addBlobs(spec: BlobSpec, blobs: Blobs): void {
    this.blobCollections.set(spec.name, blobs);
  }

  blobs(spec: BlobSpec): Blobs {
    const blobs = this.blobCollections.get(spec.name);
    if (blobs === undefined) throw new StoreError(`blob collection ${spec.name} is not declared: call store.declareBlobs() at start-up`);
    return blobs;
  }

  /** The store's own handle for `spec`, made by `make` the first time it is asked for since the last declare(). */
  handle<T extends Doc>(spec: CollectionSpec<T>, make: (core: Core) => Collection<T>): Collection<T> {
    const cached = this.handles.get(spec);
    if (cached !== undefined) return cached as unknown as Collection<T>;
    const handle = make(this.core(spec.name));
    this.handles.set(spec, handle as unknown as Collection<Doc>);
    return handle;
  }
}
