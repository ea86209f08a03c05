/*
 * signal.js - the rtc-signal.v1 client (proto/PROTOCOL.md): one WebSocket to signald at /ws,
 * JSON text messages, join/leave, relayed offer/answer/candidate, server errors.
 *
 * Events go to the `on` callbacks: open(), message(msg), close({code, reason, clean}).
 */

export const SUBPROTOCOL = 'rtc-signal.v1';
const KEEPALIVE_MS = 25000; /* application ping: proxies may drop silent WebSockets */
/* Our own pace, under signald's default limit (50 msg/s, burst 100, PROTOCOL.md §6): a newcomer
 * to a room offers and trickles candidates to every member at once, and a message over the
 * limit is dropped, not delayed. The rest waits here, in order, up to QUEUE_MAX messages. */
const RATE = 40, BURST = 80, QUEUE_MAX = 2000;

/* ws(s)://HOST/ws for the page's own origin. */
export function defaultServerUrl(loc) {
	return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

export class SignalClient {
	constructor(url, on) {
		this.url = url;
		this.on = on;
		this.ws = null;
		this.closed = false;
		this.keepalive = 0;
		this.nextId = 1;
		this.queue = [];          /* messages over our pace, in order */
		this.tokens = BURST;
		this.refilled = Date.now();
		this.timer = 0;
	}

	connect() {
		let ws;
		try {
			ws = new WebSocket(this.url, SUBPROTOCOL);
		} catch (e) {
			queueMicrotask(() => this.onClose({ code: 0, reason: e.message, clean: false }));
			return;
		}
		this.ws = ws;
		ws.onopen = () => {
			this.keepalive = setInterval(() => this.send({ type: 'ping' }), KEEPALIVE_MS);
			this.on.open && this.on.open();
		};
		ws.onmessage = (ev) => {
			if (typeof ev.data !== 'string') return; /* the server sends text only */
			let msg;
			try {
				msg = JSON.parse(ev.data);
			} catch {
				return;
			}
			if (msg && typeof msg === 'object' && typeof msg.type === 'string') this.on.message && this.on.message(msg);
		};
		ws.onclose = (ev) => this.onClose({ code: ev.code, reason: ev.reason, clean: ev.wasClean });
		ws.onerror = () => { /* onclose follows with the details we have */ };
	}

	onClose(info) {
		clearInterval(this.keepalive);
		if (this.closed) return;
		this.closed = true;
		this.on.close && this.on.close(info);
	}

	/* Sends now, or after what is queued; false if not connected (or the queue is full). */
	send(msg) {
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
		if (!this.queue.length && this.take()) {
			this.ws.send(JSON.stringify(msg));
			return true;
		}
		if (this.queue.length >= QUEUE_MAX) return false;
		this.queue.push(msg);
		this.schedule();
		return true;
	}

	take() {
		const now = Date.now();
		this.tokens = Math.min(BURST, this.tokens + ((now - this.refilled) * RATE) / 1000);
		this.refilled = now;
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}

	schedule() {
		if (this.timer) return;
		this.timer = setTimeout(() => {
			this.timer = 0;
			while (this.queue.length && this.ws.readyState === WebSocket.OPEN && this.take())
				this.ws.send(JSON.stringify(this.queue.shift()));
			if (this.queue.length && this.ws.readyState === WebSocket.OPEN) this.schedule();
		}, Math.ceil(1000 / RATE));
	}

	/* maxPeers caps a room we create (2 for a code); without it the server's limit applies. */
	join(room, { token, maxPeers, meta } = {}) {
		const m = { type: 'join', room, id: `join-${this.nextId++}` };
		if (maxPeers) m.max_peers = maxPeers;
		if (token) m.token = token;
		if (meta) m.meta = meta;
		return this.send(m);
	}

	/* Leaves the room and closes: the rest is peer to peer (TRANSFER.md §1). */
	close() {
		if (this.closed) return;
		this.closed = true;
		clearInterval(this.keepalive);
		clearTimeout(this.timer);
		this.queue = [];
		if (this.ws) {
			if (this.ws.readyState === WebSocket.OPEN) {
				this.ws.send(JSON.stringify({ type: 'leave' }));
				this.ws.close(1000, 'done');
			} else if (this.ws.readyState === WebSocket.CONNECTING) {
				this.ws.onopen = () => this.ws.close(1000, 'done');
			}
		}
	}
}

/* Why the signaling connection closed, in words, from the WebSocket close event's details. */
export function closeReason(info) {
	return info.code === 1013 ? 'too many connections, try again later'
		: info.code === 1008 ? 'closed for sending too much'
		: info.code === 1001 ? 'the server is shutting down'
		: info.code === 1006 || info.code === 0 ? 'cannot reach it, or the connection broke'
		: `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`;
}

/* Human text for a server error (PROTOCOL.md §6), in the words rtcpeer uses where it has some. */
export function describeServerError(code, message) {
	switch (code) {
	case 'room-full': return 'this code is in use by two peers already (a code works once)';
	case 'unauthorized': return 'the signaling server requires a token (add ?token=... to the address)';
	case 'server-full': return 'the signaling server is full; try again later';
	case 'too-many-connections': return 'too many connections to the signaling server from here; try again later';
	case 'rate-limited': return 'the signaling server is rate-limiting this page';
	default: return `the signaling server refused: ${code}${message ? ` (${message})` : ''}`;
	}
}
