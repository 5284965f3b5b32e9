/** The small HTML pages of the unsubscribe link; the form posts back to the same signed URL. */
export function unsubscribePage(state: 'confirm' | 'done' | 'invalid'): string {
	const content = {
		confirm: `<h1>Unsubscribe from community e-mail?</h1>
<p>You will no longer get e-mail about unread community notifications. You can turn it on again in your notification settings.</p>
<form method="post"><button type="submit">Unsubscribe</button></form>`,
		done: `<h1>You are unsubscribed</h1><p>No more community e-mail. You can turn it on again in your notification settings.</p>`,
		invalid: `<h1>This link is not valid</h1><p>Use the link from a recent e-mail, or change your notification settings in the app.</p>`,
	}[state];
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Community e-mail</title></head><body style="font-family: sans-serif; max-width: 36em; margin: 3em auto">${content}</body></html>`;
}
