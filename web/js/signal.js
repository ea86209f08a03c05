/*
 * signal.js - the rtc-signal.v1 client (proto/PROTOCOL.md): one WebSocket to signald at /ws,
 * JSON text messages, join/leave, relayed offer/answer/candidate, server errors.
 *
 * Events go to the `on` callbacks: open(), message(msg), close({code, reason, clean}).
 */

export const SUBPROTOCOL = 'rtc-signal.v1';
const KEEPALIVE_MS = 25000; /* application ping: proxies may drop silent WebSockets */

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

	send(msg) {
		if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
		this.ws.send(JSON.stringify(msg));
		return true;
	}

	join(room, { token, maxPeers = 2, meta } = {}) {
		const m = { type: 'join', room, max_peers: maxPeers, id: `join-${this.nextId++}` };
		if (token) m.token = token;
		if (meta) m.meta = meta;
		return this.send(m);
	}

	/* Leaves the room and closes: the rest is peer to peer (TRANSFER.md §1). */
	close() {
		if (this.closed) return;
		this.closed = true;
		clearInterval(this.keepalive);
		if (this.ws) {
			if (this.ws.readyState === WebSocket.OPEN) {
				this.send({ type: 'leave' });
				this.ws.close(1000, 'done');
			} else if (this.ws.readyState === WebSocket.CONNECTING) {
				this.ws.onopen = () => this.ws.close(1000, 'done');
			}
		}
	}
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
