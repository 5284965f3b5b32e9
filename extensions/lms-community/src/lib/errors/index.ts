import { createError } from '@directus/errors';

/**
 * The bundle's error codes, one place for all of them. Directus's own error classes are re-exported from
 * here so that every module takes its errors from one import. REST answers them as
 * `{ errors: [{ message, extensions: { code, ... } }] }`; the socket as `{ ok: false, error: { code, message } }`.
 */
export { ForbiddenError, InvalidPayloadError, isDirectusError } from '@directus/errors';

const forbidden = <T = void>(code: string, message: string | ((extensions: T) => string)) => createError<T>(code, message, 403);

export const QueryNotAllowedError = createError<{ reason: string }>(
	'QUERY_NOT_ALLOWED',
	({ reason }) => `This query is not allowed: ${reason}.`,
	403,
);
export const AuthenticationRequiredError = createError('UNAUTHENTICATED', 'Log in first: this needs a valid access token.', 401);

export const NotEnrolledError = forbidden('NOT_ENROLLED', 'You are not enrolled in this course.');
export const EnrollmentInactiveError = forbidden('ENROLLMENT_INACTIVE', 'Your enrollment in this course is not active (yet).');
export const EnrollmentExpiredError = forbidden('ENROLLMENT_EXPIRED', 'Your enrollment in this course has expired.');
export const GroupArchivedError = forbidden('GROUP_ARCHIVED', 'This group is archived.');
export const MemberBannedError = forbidden('MEMBER_BANNED', 'You are banned from this group.');
export const MemberMutedError = forbidden('MEMBER_MUTED', 'You are muted in this group.');
export const NotMemberError = forbidden('NOT_A_MEMBER', 'You are not an active member of this group.');
export const NotModeratorError = forbidden('NOT_MODERATOR', "Only the group's instructors and moderators can do this.");
export const NotInstructorError = forbidden('NOT_INSTRUCTOR', "Only the group's instructors can do this.");
export const ThreadLockedError = forbidden('THREAD_LOCKED', 'This thread is locked.');
export const GroupLockedError = forbidden('GROUP_LOCKED', 'This group is closed for new posts and messages (its cut-off date has passed).');
export const EditWindowClosedError = forbidden<{ minutes: number }>(
	'EDIT_WINDOW_CLOSED',
	({ minutes }) => `Students can edit for ${minutes} minutes after writing; that time has passed.`,
);
export const StudentPostsDisabledError = forbidden('STUDENT_POSTS_DISABLED', 'Students cannot start threads in this group.');
export const ChatDisabledError = forbidden('CHAT_DISABLED', 'Chat is switched off in this group.');
export const NotOwnerError = forbidden('NOT_OWNER', 'Only the author can do this.');
export const OwnContentError = forbidden('OWN_CONTENT', 'You cannot report your own post or message.');
export const FieldNotAllowedError = forbidden<{ fields: string[] }>(
	'FIELD_NOT_ALLOWED',
	({ fields }) => `You cannot set ${fields.join(', ')}.`,
);

export const SlowModeError = createError<{ retry_after: number }>(
	'SLOW_MODE',
	({ retry_after }) => `Slow mode is on in this group: wait ${retry_after} s before sending again.`,
	429,
);
export const InvalidStateError = createError<{ reason: string }>('INVALID_STATE', ({ reason }) => reason, 409);
export const AlreadyReportedError = createError('ALREADY_REPORTED', 'You have already reported this; a moderator will look at it.', 409);
export const InvalidReferenceError = createError<{ reason: string }>('INVALID_REFERENCE', ({ reason }) => reason, 400);
export const BodyTooLongError = createError<{ max: number }>(
	'BODY_TOO_LONG',
	({ max }) => `The text is too long (at most ${max} characters).`,
	400,
);

export const RateLimitedError = createError<{ retry_after: number }>(
	'RATE_LIMITED',
	({ retry_after }) => `Too many requests: retry in ${retry_after} s.`,
	429,
);
export const NotJoinedError = createError<{ group: number }>(
	'NOT_JOINED',
	({ group }) => `Join group ${group} on this connection first (group:join).`,
	409,
);
/** A service the bundle depends on, away for a moment (restarting, failing over): the request can be sent again. */
export type UnavailableService = 'database' | 'redis';
export const ServiceUnavailableError = createError<{ service: UnavailableService; retry_after: number }>(
	'SERVICE_UNAVAILABLE',
	({ service, retry_after }) =>
		`${service === 'database' ? 'The database' : 'Redis'} is unavailable for a moment: retry in ${retry_after} s.`,
	503,
);
