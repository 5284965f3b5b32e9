import { ForbiddenError, InvalidStateError, NotOwnerError } from '../errors/index.js';
import { personWriting, singleKey } from './caller.js';
import { assertInstructor } from './facts.js';
import { parseInput } from './parse-input.js';
import type { RuleContext } from './post-rules.js';
import { GroupUpdateInput, MemberUpdateInput } from './schemas.js';
import { loadVisibleGroup, loadVisibleMembership } from './visibility.js';

/**
 * Changing memberships over REST: members set their own `notify`; the group's instructors mute, ban and
 * unban other members and make them moderators (or students again). Instructors' own rows, people who left
 * and expired memberships are not theirs to change: enrollments drive those.
 */
export async function handleMemberUpdate(
	payload: Record<string, unknown>,
	keys: Array<string | number>,
	{ database: trx, accountability }: RuleContext,
) {
	const userId = personWriting(accountability);
	if (userId === null) return payload;
	const { row: target, context } = await loadVisibleMembership(trx, singleKey(keys, 'membership'), userId, false);
	const input = parseInput(MemberUpdateInput, payload);

	if (input.notify !== undefined && target.user !== userId) throw new NotOwnerError();
	if (input.status !== undefined || input.role !== undefined) {
		assertInstructor(context);
		if (target.user === userId || target.role === 'instructor') throw new ForbiddenError();
		if (!['active', 'muted', 'banned'].includes(target.status))
			throw new InvalidStateError({ reason: `This membership is ${target.status}.` });
	}
	return input;
}

/** Instructors change their group's name, description and settings; counters, course and archiving are not theirs. */
export async function handleGroupUpdate(
	payload: Record<string, unknown>,
	keys: Array<string | number>,
	{ database: trx, accountability }: RuleContext,
) {
	const userId = personWriting(accountability);
	if (userId === null) return payload;
	const context = await loadVisibleGroup(trx, singleKey(keys, 'group'), userId, false);
	const input = parseInput(GroupUpdateInput, payload);
	assertInstructor(context);
	return input;
}
