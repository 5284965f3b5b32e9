import { ForbiddenError, InvalidPayloadError, InvalidStateError, NotOwnerError, AuthenticationRequiredError } from '../errors/index.js';
import { callerOf } from './caller.js';
import { assertInstructor, loadMemberContext, type MemberRow } from './facts.js';
import { parseInput } from './parse-input.js';
import type { RuleContext } from './post-rules.js';
import { GroupUpdateInput, MemberUpdateInput } from './schemas.js';

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
	const caller = callerOf(accountability);
	if (caller.kind === 'anonymous') throw new AuthenticationRequiredError();
	if (caller.kind !== 'user') return payload;
	if (keys.length !== 1) throw new InvalidPayloadError({ reason: 'update one membership at a time' });
	const target = (await trx<MemberRow>('community_members')
		.where({ id: Number(keys[0]) })
		.first()) as MemberRow | undefined;
	if (!target) throw new ForbiddenError();
	const input = parseInput(MemberUpdateInput, payload);
	const context = await loadMemberContext(trx, target.group, caller.userId, false);

	if (input.notify !== undefined && target.user !== caller.userId) throw new NotOwnerError();
	if (input.status !== undefined || input.role !== undefined) {
		assertInstructor(context);
		if (target.user === caller.userId || target.role === 'instructor') throw new ForbiddenError();
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
	const caller = callerOf(accountability);
	if (caller.kind === 'anonymous') throw new AuthenticationRequiredError();
	if (caller.kind !== 'user') return payload;
	if (keys.length !== 1) throw new InvalidPayloadError({ reason: 'update one group at a time' });
	const input = parseInput(GroupUpdateInput, payload);
	assertInstructor(await loadMemberContext(trx, Number(keys[0]), caller.userId, false));
	return input;
}
