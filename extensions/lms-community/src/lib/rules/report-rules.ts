import { AlreadyReportedError, InvalidStateError, OwnContentError } from '../errors/index.js';
import { personWriting } from './caller.js';
import { assertCanWrite } from './facts.js';
import { parseInput, withoutSelfReference } from './parse-input.js';
import type { RuleContext } from './post-rules.js';
import { ReportCreateInput } from './schemas.js';
import { loadVisibleMessage, loadVisiblePost } from './visibility.js';

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
	if (input.post) {
		const { row: post, context } = await loadVisiblePost(trx, input.post, userId, false);
		assertCanWrite(context);
		if (post.author === userId) throw new OwnContentError();
		// Others' unpublished posts are visible to their moderators only, who review them rather than report them.
		if (post.status !== 'published')
			throw new InvalidStateError({ reason: `Only published posts are reported; this one is ${post.status}.` });
		group = post.group;
	} else {
		const { row: message, context } = await loadVisibleMessage(trx, input.message!, userId, false);
		assertCanWrite(context);
		if (message.sender === userId) throw new OwnContentError();
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
