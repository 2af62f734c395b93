import type { MediaService, PhotoView, PreparedPhotos } from '../media/media.service.js';

/**
 * What conversations need of the photo store. A message's photos are stored under the message's id (the blob rows
 * carry that id only) and go with it; a report keeps its own copy of the reported messages' photos, as it keeps a
 * copy of their text, and that copy goes with the report.
 */
export interface ConversationPhotos {
  attach(messageId: string, prepared: PreparedPhotos): Promise<readonly PhotoView[]>;
  of(messageIds: readonly string[]): Promise<ReadonlyMap<string, readonly PhotoView[]>>;
  remove(messageIds: readonly string[]): Promise<void>;
  copyToReport(messageIds: readonly string[], reportId: string): Promise<void>;
  ofReport(reportId: string): Promise<readonly PhotoView[]>;
  removeReport(reportId: string): Promise<void>;
}

export function conversationPhotos(media: MediaService): ConversationPhotos {
  return {
    attach: (messageId, prepared) => media.attach('conversation_message', messageId, prepared),
    of: (messageIds) => media.photosOf('conversation_message', messageIds),
    async remove(messageIds) {
      for (const id of messageIds) await media.deleteContext('conversation_message', id);
    },
    async copyToReport(messageIds, reportId) {
      await media.copy('conversation_message', messageIds, 'conversation_report', reportId);
    },
    ofReport: async (reportId) => (await media.photosOf('conversation_report', [reportId])).get(reportId) ?? [],
    async removeReport(reportId) {
      await media.deleteContext('conversation_report', reportId);
    },
  };
}
