import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
	envelopeTo: string[];
	mail: ParsedMail;
}

export interface MailSink {
	port: number;
	received: ReceivedMail[];
	/** Mails whose envelope names `address`. */
	to(address: string): ReceivedMail[];
	close(): Promise<void>;
}

/** A real SMTP server in the test process (no auth, no TLS): every message is parsed and kept. */
export async function startMailSink(): Promise<MailSink> {
	const received: ReceivedMail[] = [];
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS', 'AUTH'],
		logger: false,
		onData(stream, session, callback) {
			simpleParser(stream)
				.then((mail) => {
					received.push({ envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()), mail });
					callback();
				})
				.catch(callback);
		},
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const port = (server.server.address() as AddressInfo).port;
	return {
		port,
		received,
		to: (address) => received.filter((entry) => entry.envelopeTo.includes(address.toLowerCase())),
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
