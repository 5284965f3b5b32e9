import type { AckCallback } from '../events.js';
import type { ClientEvent, ClientToServerEvents, CommunitySocket } from '../types.js';

/** The data an event's ack carries when it succeeds. */
export type AckData<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[1] extends AckCallback<infer D> ? D : never;

/**
 * One client event's handler: shared by every socket (one function per event, not one closure per socket),
 * given the socket and the raw payload, which it parses first. Failures go through the one ack funnel (ack.ts).
 */
export type Handler<E extends ClientEvent> = (socket: CommunitySocket, payload: unknown) => Promise<AckData<E>>;

export type Handlers = { [E in ClientEvent]: Handler<E> };
