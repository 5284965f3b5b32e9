import { AlreadyReportedError, ForbiddenError, InvalidStateError, OwnContentError } from '../errors/index.js';
import { personWriting } from './caller.js';
import { assertCanWrite, facts, loadMemberContext, type MemberContext } from './facts.js';
import { parseInput, withoutSelfReference } from './parse-input.js';
import type { RuleContext } from './post-rules.js';
import { ReportCreateInput } from './schemas.js';

/**
 * A member reports a post or a message of their group, over REST or the socket: active members only, never
 * their own content or content they cannot see, one open report per reporter and item. The group, reporter
 * and status are the server's. Admins and the system write reports as they are.
 */
export async function handleReportCreate(payload: Record<string, unknown>, { database: trx, accountability }: RuleContext) {
	const userId = personWriting(accountability);
	if (userId === null) return payload;
	const input = parseInput(ReportCreateInput, withoutSelfReference(payload, 'reporter', userId));

	let group: number;
	let context: MemberContext;
	if (input.post) {
		const post = await facts.post(trx, input.post);
		if (!post) throw new ForbiddenError();
		context = await loadMemberContext(trx, post.group, userId, false);
		assertCanWrite(context);
		if (post.author === userId) throw new OwnContentError();
		if (post.status !== 'published') {
			if (context.moderator) throw new InvalidStateError({ reason: `Only published posts are reported; this one is ${post.status}.` });
			throw new ForbiddenError();
		}
		group = post.group;
	} else {
		const message = await facts.message(trx, input.message!);
		if (!message) throw new ForbiddenError();
		context = await loadMemberContext(trx, message.group, userId, false);
		assertCanWrite(context);
		if (message.sender === userId) throw new OwnContentError();
		if (message.hidden_at && !context.moderator) throw new ForbiddenError();
		if (message.deleted_at || message.hidden_at) throw new InvalidStateError({ reason: 'This message is already deleted or hidden.' });
		group = message.group;
	}

	const target = input.post ? { post: input.post } : { message: input.message! };
	const existing = await trx('community_reports')
		.where({ reporter: userId, status: 'open', ...target })
		.first('id');
	if (existing) throw new AlreadyReportedError();

	return {
		group,
		reporter: userId,
		post: input.post ?? null,
		message: input.message ?? null,
		reason: input.reason,
		note: input.note || null,
		status: 'open',
	};
}
