/*
 * channel.js - one data channel of rtc-xfer.v1 or rtc-pipe.v1, from open to close: the auth
 * exchange that comes first on every channel (TRANSFER.md §4), the message-order check (wire.js
 * Seq), handling what arrives one message at a time and in order, and the sending helpers the
 * applications use (xfer.js, pipe.js take a Channel as their `s`).
 *
 * A code session has one channel; a room link has one per conversation: the text line, and one
 * per batch of files in each direction. Every channel authenticates on its own, so each is a
 * complete rtc-xfer.v1 or rtc-pipe.v1 session as TRANSFER.md describes it.
 *
 * The owner is the Link (link.js) the channel belongs to; it provides the key, the fingerprints
 * and our SDP role, and hears about everything that happens here (see Link's methods).
 */
import { localMac, verifyPeerMac, toHex } from './auth.js';
import { parseControl, build, Seq, WireError, LOCAL, PEER, XFER_LABEL, PIPE_LABEL, CHUNK_MAX } from './wire.js';

const LINGER_MS = 1000;           /* for a last message (abort, bye) to leave before closing */
const AUTH_TIMEOUT_MS = 30000;    /* open → the peer's auth verified (rtcpeer's --timeout default) */
/* Messages waiting while a handler waits (auth, a file's hash). A peer that keeps to the
 * protocol sends little then (it waits for our auth or verdict); one that floods is cut off. */
const INBOX_MAX = 4096;
export const HIGH_WATER = 1024 * 1024;
export const LOW_WATER = 256 * 1024;

let serial = 0;

export class Channel {
	/*
	 * dc: the RTCDataChannel; link: its Link; weOpened: we created it (on rtc-xfer.v1 that makes
	 * us the sender); refuse: a reason to abort it as soon as it opens, without auth.
	 */
	constructor(dc, link, { weOpened, refuse = null }) {
		this.dc = dc;
		this.link = link;
		this.label = dc.label;
		this.weOpened = weOpened;
		this.serial = ++serial;      /* tells apart the batches of one link in events */
		this.phase = 'opening';
		this.app = null;
		this.authSent = null;        /* promise: our auth is on the wire */
		this.authenticated = false;
		this.dcOpened = false;
		this.expectClose = false;
		this.finished = false;
		this.inbox = [];
		this.inboxHead = 0;       /* next to handle: shift() would make a long inbox quadratic */
		this.draining = false;
		this.authTimer = 0;
		dc.binaryType = 'arraybuffer';
		dc.bufferedAmountLowThreshold = LOW_WATER;
		this.emit('channel', { label: dc.label, opened: weOpened ? 'us' : 'peer' });
		this.seq = new Seq(dc.label === PIPE_LABEL, dc.label === XFER_LABEL && weOpened);
		dc.onmessage = (ev) => this.onMessage(ev.data);
		dc.onclose = () => this.onClose();
		dc.onerror = (ev) => this.emit('log', { text: `data channel error: ${ev.error ? ev.error.message : 'unknown'}` });
		if (refuse) {
			/* TRANSFER.md §5.1: no auth, no files, on a channel we must not use. */
			const go = () => { this.sendRaw(build.abort(refuse)); this.fail('protocol', `the peer opened ${dc.label} unordered or unreliable; refused`); };
			if (dc.readyState === 'open') go(); else dc.onopen = go;
			return;
		}
		dc.onopen = () => this.onOpen();
		if (dc.readyState === 'open') this.onOpen();
	}

	emit(type, detail = {}) { this.link.channelEvent(this, type, detail); }

	setPhase(p, detail = {}) {
		if (this.phase === p) return;
		this.phase = p;
		this.link.channelPhase(this, p, detail);
	}

	/*
	 * Who speaks first. The side that opened the channel sends its auth at `open`. The side
	 * that accepted it waits for that auth and answers it: Chromium shows an accepted channel
	 * as open at once, but libwebrtc opens it only afterwards, in a task of its own and only
	 * once the transport can send (DataChannelController::OnDataChannelOpenMessage), and drops
	 * a message sent before that without a trace (SctpDataChannel::SendImpl, INVALID_STATE).
	 * Seen here as a lost auth and a stalled channel, now and then. A message received proves
	 * the channel has opened: libwebrtc hands none over before. rtcpeer sends at open on
	 * either side, so one of the two always starts.
	 */
	onOpen() {
		if (this.dcOpened || this.finished) return;
		this.dcOpened = true;
		this.link.channelOpened(this);
		this.setPhase('authenticating');
		/* The link's own bound ends once the peer is verified; channels opened later need one. */
		this.authTimer = setTimeout(() => this.fail('timeout', 'the peer did not authenticate in time'), AUTH_TIMEOUT_MS);
		if (this.weOpened) this.startAuth();
		if (this.inbox.length > this.inboxHead && !this.draining) this.drain();
	}

	/* Sends our auth once; resolves when it is on the wire. */
	startAuth() {
		if (!this.authSent) {
			this.authSent = this.sendAuth().catch((e) => {
				this.fail('internal', `cannot compute the authentication message: ${e.message}`);
				throw e;
			});
		}
		return this.authSent;
	}

	async sendAuth() {
		const l = this.link;
		const mac = await localMac(l.key, l.offerer, l.peer.localFingerprint(), l.peer.remoteFingerprint());
		if (this.finished) return;
		this.sendControl(build.auth(toHex(mac)));
	}

	onClose() {
		if (this.finished) return;
		if (this.expectClose) return this.finish(true);
		if (!this.dcOpened)
			return this.fail('channel', 'connected to the peer, but the data channel never opened (the SCTP association failed)');
		if (!this.authenticated)
			return this.fail('auth', this.link.words.hungUp);
		this.fail('peer-closed', 'the peer closed the connection');
	}

	/*
	 * Messages are handled one at a time, in order, even when a handler waits (auth). On the
	 * side that opened the channel, Chromium can deliver the peer's first message (its auth,
	 * sent as soon as the channel opened there) before our own `open` event, while we cannot
	 * send yet: such messages wait for `open`, so that our auth always goes out first.
	 */
	onMessage(data) {
		if (this.finished) return;
		if (this.inbox.length - this.inboxHead >= INBOX_MAX) {
			this.sendRaw(build.abort('too many messages at once'));
			this.fail('protocol', `the peer sent more than ${INBOX_MAX} messages without waiting for us`);
			return;
		}
		this.inbox.push(data);
		if (!this.draining && this.dcOpened) this.drain();
	}

	async drain() {
		this.draining = true;
		while (this.inbox.length > this.inboxHead && !this.finished) {
			const data = this.inbox[this.inboxHead];
			this.inbox[this.inboxHead++] = undefined;
			if (this.inboxHead > 1024 && this.inboxHead * 2 > this.inbox.length) {
				this.inbox = this.inbox.slice(this.inboxHead);
				this.inboxHead = 0;
			}
			try {
				const r = this.handle(data);
				if (r && typeof r.then === 'function') await r;
			} catch (e) {
				if (this.finished) break;
				if (e instanceof WireError) {
					this.sendRaw(build.abort(e.message));
					this.fail('protocol', `the peer broke the protocol: ${e.message}`);
				} else {
					this.sendRaw(build.abort('internal error'));
					this.fail('internal', `internal error: ${e.message}`);
				}
			}
		}
		this.draining = false;
	}

	handle(data) {
		const binary = typeof data !== 'string';
		if (!this.authenticated) return this.checkAuth(binary, data);
		this.link.channelSpoke(this); /* the peer talks to us: it has verified us */
		if (binary) {
			this.seq.binary(PEER, data.byteLength);
			return this.app.onBinary(data);
		}
		const m = parseControl(data);
		this.seq.text(PEER, m);
		if (m.type === 'abort') return this.fail('peer-aborted', `the peer aborted: ${m.reason}`, { reason: m.reason });
		return this.app.onControl(m);
	}

	/* The peer's first message must be an auth that proves it holds the secret (§4.2). */
	async checkAuth(binary, data) {
		const l = this.link;
		let m = null;
		if (!binary) {
			try { m = parseControl(data); } catch { m = null; }
		}
		if (m && m.type === 'abort') {
			if (/authentication/i.test(m.reason))
				return this.fail('auth', `the peer could not verify us (${m.reason}): ${this.link.words.wrong}, or the signaling server altered the connection`, { reason: m.reason });
			return this.fail('peer-aborted', `the peer aborted: ${m.reason}`, { reason: m.reason });
		}
		let ok = false;
		if (m && m.type === 'auth') {
			await this.startAuth();
			ok = await verifyPeerMac(l.key, l.offerer, l.peer.localFingerprint(), l.peer.remoteFingerprint(), m.mac);
		}
		if (this.finished) return;
		if (!ok) {
			this.sendRaw(build.abort('authentication failed'));
			return this.fail('auth', `authentication failed: the peer does not know ${this.link.words.secret}, or the signaling server altered the connection`);
		}
		this.seq.text(PEER, m);
		this.authenticated = true;
		clearTimeout(this.authTimer);
		this.emit('authenticated', { role: l.offerer ? 'offerer' : 'answerer', label: this.label });
		this.app = l.channelAuthenticated(this);
		this.setPhase('ready');
		if (this.app.start) this.app.start();
	}

	/* ------------------------------------------------------------ sending */

	sendRaw(msg) {
		try {
			if (this.dc.readyState === 'open') this.dc.send(JSON.stringify(msg));
		} catch { /* going away anyway */ }
	}

	/* A control message, checked against the order rules first (a refusal is our bug). */
	sendControl(msg) {
		this.seq.text(LOCAL, msg);
		this.dc.send(JSON.stringify(msg));
		this.emit('sent', { msg: msg.type });
	}

	sendBinary(view) {
		this.seq.binary(LOCAL, view.byteLength);
		this.dc.send(view);
	}

	chunkSize() { return this.link.peer.maxMessageSize(CHUNK_MAX); }
	buffered() { return this.dc.bufferedAmount; }

	/* Resolves once the channel's buffer is below `level` (or the channel ended). */
	drained(level = LOW_WATER) {
		return new Promise((resolve) => {
			const dc = this.dc;
			const check = () => {
				if (this.finished || dc.readyState !== 'open' || dc.bufferedAmount <= level) {
					dc.removeEventListener('bufferedamountlow', check);
					clearInterval(poll);
					resolve();
				}
			};
			const poll = setInterval(check, 200); /* in case the event was missed */
			dc.addEventListener('bufferedamountlow', check);
			check();
		});
	}

	/* ------------------------------------------------------------ ending */

	/* Sends an abort (if the channel is up) and fails with the given reason. */
	abort(reason, code = 'aborted') {
		if (this.finished) return;
		if (this.authenticated || this.dcOpened) this.sendRaw(build.abort(reason));
		this.fail(code, reason);
	}

	fail(code, message, extra = {}) {
		if (this.finished) return;
		this.end(false, { code, message, ...extra });
	}

	finish(ok) {
		if (this.finished) return;
		this.end(ok, ok ? {} : { code: 'failed', message: 'failed' });
	}

	end(ok, info) {
		if (this.finished) return;
		this.finished = true;
		clearTimeout(this.authTimer);
		if (this.app && this.app.stop) this.app.stop(ok);
		this.link.channelEnded(this, ok, info);
		/* Close once what we queued (an abort, a bye) has left, or after LINGER_MS. */
		const dc = this.dc, t0 = Date.now();
		const tick = () => {
			if (dc.readyState === 'open' && dc.bufferedAmount > 0 && Date.now() - t0 < LINGER_MS)
				return setTimeout(tick, 20);
			try { dc.close(); } catch { /* gone */ }
			this.link.channelClosed(this);
		};
		setTimeout(tick, dc.bufferedAmount > 0 ? 20 : 50);
	}
}
