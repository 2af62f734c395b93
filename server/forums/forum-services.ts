import type { BoardsService } from './boards.service.js';
import type { ForumChanges } from './changes.js';
import type { ForumModerationService } from './forum-moderation.service.js';
import type { PostingService } from './posting.service.js';
import type { ReadingService } from './reading.service.js';
import type { RemoteIntakeService } from './remote.service.js';

/** The forum's services, built once in app.ts around one ForumDocs, ForumViews and ForumChanges. */
export interface ForumServices {
  readonly changes: ForumChanges;
  readonly boards: BoardsService;
  readonly reading: ReadingService;
  readonly posting: PostingService;
  readonly moderating: ForumModerationService;
  readonly remote: RemoteIntakeService;
}
