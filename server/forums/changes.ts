export type ChangeListener = (threadId: string | null, postId?: string) => void;

/**
 * Tells listeners (page caches, federation) that what a thread shows changed:
 * every forum service reports here, so a listener needs to know none of them.
 */
export class ForumChanges {
  private readonly listeners = new Set<ChangeListener>();

  onChange(listener: ChangeListener): void {
    this.listeners.add(listener);
  }

  /** `threadId` null: possibly every thread. `postId` names the one post that changed, when only one did. */
  changed(threadId: string | null, postId?: string): void {
    for (const listener of this.listeners) listener(threadId, postId);
  }
}
