/**
 * Reports (flags), as pure rules: when reports hide an item, and what a moderator's decision does to the
 * item, to the reports and to the author. Discourse works the same way: enough flags hide a post until
 * someone reviews it.
 */

export type ReportAction = 'keep' | 'hide' | 'delete';
export type AuthorAction = 'mute' | 'ban';

export interface ReportOutcome {
	/** The reports' new status: kept items dismiss them, hidden or deleted ones resolve them. */
	status: 'resolved' | 'dismissed';
	resolution: 'kept' | 'hidden' | 'deleted';
	author_action: 'none' | 'muted' | 'banned';
	/** The member status the author gets, if any. */
	memberStatus: 'muted' | 'banned' | null;
}

export function outcomeOf(action: ReportAction, author: AuthorAction | null | undefined): ReportOutcome {
	const memberStatus = author === 'mute' ? 'muted' : author === 'ban' ? 'banned' : null;
	return {
		status: action === 'keep' ? 'dismissed' : 'resolved',
		resolution: action === 'keep' ? 'kept' : action === 'hide' ? 'hidden' : 'deleted',
		author_action: memberStatus ?? 'none',
		memberStatus,
	};
}

/** Open reports on one item hide it once they reach the group's threshold; 0 switches automatic hiding off. */
export function reachesHideThreshold(openReports: number, threshold: number): boolean {
	return threshold > 0 && openReports >= threshold;
}

/** A post's status after a decision: hidden posts come back when kept; deleted stays deleted. */
export function postStatusAfter(current: string, action: ReportAction): string {
	if (current === 'deleted') return 'deleted';
	if (action === 'delete') return 'deleted';
	if (action === 'hide') return current === 'published' ? 'hidden' : current;
	return current === 'hidden' ? 'published' : current;
}

/** The change a decision makes to a message: deleting empties it, hiding and keeping toggle `hidden_at`. */
export function messageUpdateAfter(
	message: { deleted_at: unknown; hidden_at: unknown },
	action: ReportAction,
	now: string,
): Record<string, string | null> | null {
	if (message.deleted_at) return null;
	if (action === 'delete') return { deleted_at: now, hidden_at: null };
	if (action === 'hide') return message.hidden_at ? null : { hidden_at: now };
	return message.hidden_at ? { hidden_at: null } : null;
}
