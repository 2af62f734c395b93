import type { BoardsService } from '../../server/forums/boards.service.js';
import type { ReadingService } from '../../server/forums/reading.service.js';
import type { Apex } from '../apex-types.js';
import { apId, type Iris } from '../iris.js';
import type { Actors } from './actors.js';

export interface BoardCollectionsDeps {
  readonly apex: Apex;
  readonly iris: Iris;
  readonly actors: Actors;
  readonly boards: BoardsService;
  readonly reading: ReadingService;
}

export type BoardCollection = 'moderators' | 'featured';

/** How many pinned threads a board's featured collection lists (they are read from its first page of threads). */
const FEATURED_FROM = 30;

/**
 * The two collections a board's Group names for Lemmy and Mbin: `attributedTo`, its moderators, and `featured`, its
 * pinned threads. The moderators are the board's moderators' Person (which locks and pins, so peers take it from a
 * moderator), then each moderator who chose to federate (is discoverable): a moderator's pseudonym is not to be
 * confirmed to the world by the board they look after.
 */
export class BoardCollections {
  constructor(private readonly deps: BoardCollectionsDeps) {}

  /** The collection's document, or null when the board does not federate. */
  async collection(slug: string, name: BoardCollection): Promise<Record<string, unknown> | null> {
    const { apex, iris, actors } = this.deps;
    const board = await actors.publicBoard(slug);
    if (!board) return null;
    const items = name === 'moderators' ? await this.moderators(board.id, board.slug) : await this.featured(board.slug);
    return {
      '@context': apex.context,
      id: `${iris.actor({ kind: 'board', slug: board.slug })}/${name}`,
      type: 'OrderedCollection',
      totalItems: items.length,
      orderedItems: items,
    };
  }

  private async moderators(boardId: string, slug: string): Promise<string[]> {
    const handles = await this.deps.boards.moderatorHandles(boardId);
    const persons = await Promise.all(handles.map((handle) => this.deps.actors.memberActor(handle, { discoverableOnly: true })));
    const team = await this.deps.actors.moderatorsActor(slug);
    return [...(team ? [team.id] : []), ...persons.flatMap((person) => (person ? [person.id] : []))];
  }

  private async featured(slug: string): Promise<string[]> {
    const { threads } = await this.deps.reading.listThreads(null, slug, { limit: FEATURED_FROM });
    const pinned = threads.filter((t) => t.pinned);
    const firsts = await Promise.all(pinned.map((t) => this.deps.reading.outboundThread(t.id)));
    return firsts.flatMap((t) => (t && t.state === 'visible' ? [`${this.deps.iris.base}/ap/o/${apId(t.firstPostId)}`] : []));
  }
}
