/**
 * The one Collection<T> every adapter hands out. The typed port methods are
 * written once here; an adapter supplies its untyped core (the queries) and a
 * scope that decides where and when each call runs: on the pool or a
 * transaction's connection, behind SQLite's gate, with MongoDB's session. The
 * scope carries the adapter's transaction rules; the core never sees T.
 */
import { StoreError, type Collection, type CollectionSpec, type Doc, type FindQuery, type Page, type SearchQuery, type Where } from './port.js';

type Awaitable<R> = R | PromiseLike<R>;

/**
 * The port's operations on documents of any type. `at` is what the scope passes to every call (a connection, a
 * session, the scope itself) and comes last, so a core that needs none may leave it out.
 */
export interface CollectionCore<At> {
  get(id: string, at: At): Awaitable<Doc | null>;
  getMany(ids: readonly string[], at: At): Awaitable<Doc[]>;
  insert(doc: Doc, at: At): Awaitable<Doc>;
  upsert(doc: Doc, at: At): Awaitable<Doc>;
  /** Without `expected` a plain patch; with it a patchIf. */
  patch(id: string, fields: Record<string, unknown>, expected: Record<string, unknown> | undefined, at: At): Awaitable<Doc | null>;
  increment(id: string, deltas: Record<string, number | undefined>, at: At): Awaitable<Doc | null>;
  delete(id: string, at: At): Awaitable<boolean>;
  deleteWhere(where: Where<Doc>, at: At): Awaitable<number>;
  find(query: FindQuery<Doc>, at: At): Awaitable<Page<Doc>>;
  findOne(where: Where<Doc>, at: At): Awaitable<Doc | null>;
  count(where: Where<Doc> | undefined, at: At): Awaitable<number>;
  search(text: string, query: SearchQuery<Doc>, at: At): Awaitable<Page<Doc>>;
}

/** Writes are told apart because an adapter may have to note them (SQLite tells its other stores to look again). */
export type Access = 'read' | 'write';

export interface CollectionScope<At> {
  /** Runs `op` where this handle's calls belong, or refuses with StoreError (a finished transaction, a misuse). */
  run<R>(op: (at: At) => Awaitable<R>, access: Access): Promise<R>;
}

/** What an adapter knows about a transaction after it ends: a handle kept past it must refuse work. */
export interface OpenFlag {
  readonly open: boolean;
}

/**
 * The rule PostgreSQL and MongoDB share: a transaction's handle works only while it is open, and the store's own
 * handles are refused inside a transaction, where their call would run beside it instead of in it.
 */
export function refuseOutOfScope(tx: OpenFlag | null, insideOpenTransaction: () => boolean): void {
  if (tx !== null) {
    if (!tx.open) throw new StoreError('this transaction has already finished');
  } else if (insideOpenTransaction()) {
    throw new StoreError('inside transaction(fn), use the collections of its tx scope, not the store');
  }
}

export class ScopedCollection<T extends Doc, At> implements Collection<T> {
  constructor(
    readonly spec: CollectionSpec<T>,
    private readonly core: CollectionCore<At>,
    private readonly scope: CollectionScope<At>,
  ) {}

  get(id: string): Promise<T | null> {
    return this.scope.run((at) => this.core.get(id, at), 'read') as Promise<T | null>;
  }
  getMany(ids: readonly string[]): Promise<T[]> {
    return this.scope.run((at) => this.core.getMany(ids, at), 'read') as Promise<T[]>;
  }
  insert(doc: T): Promise<T> {
    return this.scope.run((at) => this.core.insert(doc, at), 'write') as Promise<T>;
  }
  upsert(doc: T): Promise<T> {
    return this.scope.run((at) => this.core.upsert(doc, at), 'write') as Promise<T>;
  }
  patch(id: string, fields: Partial<T>): Promise<T | null> {
    return this.scope.run((at) => this.core.patch(id, fields as Record<string, unknown>, undefined, at), 'write') as Promise<T | null>;
  }
  patchIf(id: string, expected: Where<T>, fields: Partial<T>): Promise<T | null> {
    const match = expected as Record<string, unknown>;
    return this.scope.run((at) => this.core.patch(id, fields as Record<string, unknown>, match, at), 'write') as Promise<T | null>;
  }
  increment(id: string, deltas: { readonly [K in Extract<keyof T, string>]?: number }): Promise<T | null> {
    const added = deltas as Record<string, number | undefined>;
    return this.scope.run((at) => this.core.increment(id, added, at), 'write') as Promise<T | null>;
  }
  delete(id: string): Promise<boolean> {
    return this.scope.run((at) => this.core.delete(id, at), 'write');
  }
  deleteWhere(where: Where<T>): Promise<number> {
    return this.scope.run((at) => this.core.deleteWhere(where as Where<Doc>, at), 'write');
  }
  find(query: FindQuery<T>): Promise<Page<T>> {
    return this.scope.run((at) => this.core.find(query as FindQuery<Doc>, at), 'read') as Promise<Page<T>>;
  }
  findOne(where: Where<T>): Promise<T | null> {
    return this.scope.run((at) => this.core.findOne(where as Where<Doc>, at), 'read') as Promise<T | null>;
  }
  count(where?: Where<T>): Promise<number> {
    return this.scope.run((at) => this.core.count(where as Where<Doc> | undefined, at), 'read');
  }
  search(text: string, query: SearchQuery<T> = {}): Promise<Page<T>> {
    return this.scope.run((at) => this.core.search(text, query as SearchQuery<Doc>, at), 'read') as Promise<Page<T>>;
  }
}
