/** Why a member reports a post, a message or a remote object: one list for every form, API and inbox. */
export type ReportReason = 'harassment' | 'outing' | 'threat' | 'hate' | 'spam' | 'scam' | 'off_topic' | 'other';
export const reportReasons: readonly ReportReason[] = ['harassment', 'outing', 'threat', 'hate', 'spam', 'scam', 'off_topic', 'other'];
