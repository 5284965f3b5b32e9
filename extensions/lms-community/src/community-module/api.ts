/**
 * The Community module's calls: the bundle's own endpoints (the same rules and error codes as the REST API)
 * and Directus's items API for member changes. `http` is the app's axios instance from `useApi()`.
 */

import type { GroupActivity, GroupMember, ModerationQueue, Person } from '../lib/community/moderation.js';
import type { ParticipationReport } from '../lib/community/participation.js';

export interface Http {
	get<T = any>(url: string, config?: { params?: Record<string, unknown>; responseType?: 'text' }): Promise<{ data: T }>;
	post<T = any>(url: string, body?: unknown): Promise<{ data: T }>;
	patch<T = any>(url: string, body?: unknown): Promise<{ data: T }>;
}

export type {
	GroupActivity as Activity,
	GroupMember,
	ModeratedGroup,
	ModerationQueue as Queue,
	PendingPost,
	Person,
	ReportedItem,
} from '../lib/community/moderation.js';

export type { ParticipationReport as Participation } from '../lib/community/participation.js';
export type ParticipationStudent = ParticipationReport['students'][number];
/** Days of the course (YYYY-MM-DD), both included. */
export type ParticipationRange = { from?: string; to?: string };

export type ReportDecision = { action: 'keep' | 'hide' | 'delete'; author?: 'mute' | 'ban' | null; note?: string | null };

const data = async <T>(request: Promise<{ data: { data: T } }>): Promise<T> => (await request).data.data;

export function communityApi(http: Http) {
	return {
		queue: (group: number | null, course: number | null = null) =>
			data<ModerationQueue>(
				http.get('/community/moderation/queue', { params: { ...(group ? { group } : {}), ...(course ? { course } : {}) } }),
			),
		approve: (post: number, note: string) => data(http.post(`/community/posts/${post}/approve`, note ? { note } : {})),
		reject: (post: number, note: string) => data(http.post(`/community/posts/${post}/reject`, note ? { note } : {})),
		resolve: (report: number, decision: ReportDecision) => data(http.post(`/community/reports/${report}/resolve`, decision)),
		members: (group: number) => data<GroupMember[]>(http.get(`/community/moderation/groups/${group}/members`)),
		updateMember: (member: number, change: Partial<Pick<GroupMember, 'role' | 'status'>>) =>
			data(http.patch(`/items/community_members/${member}`, change)),
		activity: (group: number, days: number) =>
			data<GroupActivity>(http.get(`/community/moderation/groups/${group}/activity`, { params: { days } })),
		participation: (group: number, range: ParticipationRange) =>
			data<ParticipationReport>(http.get(`/community/groups/${group}/participation`, { params: range })),
		participationCsv: async (group: number, range: ParticipationRange) =>
			(await http.get<string>(`/community/groups/${group}/participation`, { params: { ...range, format: 'csv' }, responseType: 'text' }))
				.data,
	};
}

export type CommunityApi = ReturnType<typeof communityApi>;

/** The error code and message of a failed call, as the endpoints answer them. */
export function describeError(error: unknown): string {
	const body = (error as { response?: { data?: { errors?: Array<{ message?: string; extensions?: { code?: string } }> } } })?.response
		?.data;
	const first = body?.errors?.[0];
	if (first) return `${first.extensions?.code ?? 'ERROR'}: ${first.message ?? ''}`.trim();
	return error instanceof Error ? error.message : String(error);
}

export const personName = (person: Person | null): string =>
	person ? [person.first_name, person.last_name].filter(Boolean).join(' ') || person.id : 'Unknown';

export const excerpt = (text: string, max = 280): string => {
	const plain = text
		.replace(/<[^>]+>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
};
