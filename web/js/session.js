/*
 * session.js - one transfer session, start to end: join the code's room on signald, make or
 * take the offer (the peer that joins second offers, PROTOCOL.md §5), trickle ICE, open or
 * accept the one data channel, authenticate it (TRANSFER.md §4), then hand it to the
 * application: files (xfer.js) or pipe (pipe.js).
 *
 * Whoever made the code (`maker`) waits in the room, answers, and opens the channel: rtc-xfer.v1
 * when sending files, rtc-pipe.v1 for a pipe (TRANSFER.md §1, §5.1, §9). The other side takes
 * whichever of the two the peer opens.
 *
 * Everything observable goes through emit(type, detail); see main.js for the event names.
 */
import { SignalClient, describeServerError } from './signal.js';
import { Peer } from './peer.js';
import { localMac, verifyPeerMac, toHex } from './auth.js';
import { parseControl, build, Seq, WireError, LOCAL, PEER, XFER_LABEL, PIPE_LABEL, CHUNK_MAX } from './wire.js';

const CONNECT_TIMEOUT_MS = 30000; /* peer seen → authenticated (rtcpeer's --timeout default) */
const LINGER_MS = 1000;           /* for a last message (abort, bye) to leave before closing */
const LEAVE_AFTER_MS = 5000;      /* authenticated → leave the room, if the peer stays quiet */
export const HIGH_WATER = 1024 * 1024;
export const LOW_WATER = 256 * 1024;

export class Session {
	/*
	 * opts: {room, secret (Uint8Array 16), maker (bool), mode ('send' | 'pipe', maker only),
	 *        serverUrl, token}; emit(type, detail); makeApp(label, session) → the application.
	 */
	constructor(opts, emit, makeApp) {
		this.opts = opts;
		this.emit = emit;
		this.makeApp = makeApp;
		this.phase = 'idle';
		this.role = null;            /* 'offerer' | 'answerer' */
		this.remote = null;          /* the other peer's signaling id */
		this.peer = null;
		this.dc = null;
		this.seq = null;
		this.app = null;
		this.authSent = null;        /* promise: our auth is on the wire */
		this.authenticated = false;
		this.expectClose = false;
		this.finished = false;
		this.connected = false;
		this.inbox = [];
		this.draining = false;
		this.timer = 0;
		this.sig = null;
		this.early = [];             /* remote candidates that came before the peer connection */
	}

	setPhase(p, detail = {}) {
		if (this.phase === p) return;
		this.phase = p;
		this.emit('phase', { phase: p, ...detail });
	}

	start() {
		this.setPhase('signaling');
		this.sig = new SignalClient(this.opts.serverUrl, {
			open: () => {
				this.emit('signal-open', { url: this.opts.serverUrl });
				this.sig.join(this.opts.room, { token: this.opts.token, maxPeers: 2 });
			},
			message: (m) => this.onSignal(m).catch((e) => this.fail('internal', `internal error: ${e.message}`)),
			close: (info) => {
				if (this.authenticated || this.finished || this.dcOpened) return; /* the channel decides */
				const why = info.code === 1013 ? 'too many connections, try again later'
					: info.code === 1008 ? 'closed for sending too much'
					: info.code === 1001 ? 'the server is shutting down'
					: info.code === 1006 || info.code === 0 ? 'cannot reach it, or the connection broke'
					: `closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`;
				this.fail('signaling', `signaling server ${this.opts.serverUrl}: ${why}`);
			},
		});
		this.sig.connect();
	}

	/* ------------------------------------------------------------ signaling */

	async onSignal(m) {
		if (this.finished) return;
		switch (m.type) {
		case 'joined': return this.onJoined(m);
		case 'peer-joined':
			this.emit('peer-joined', { peer: m.peer });
			if (!this.remote) {
				this.remote = m.peer;
				this.setPhase('connecting');
				this.armTimeout();
			}
			return;
		case 'peer-left':
			this.emit('peer-left', { peer: m.peer });
			/* Once the channel is open the peer may leave the room as soon as it has verified
			 * us, possibly before its auth reaches us: from then on the channel decides. */
			if (m.peer === this.remote && !this.dcOpened)
				this.fail('peer-left', this.connected
					? 'the peer left after connecting, before the data channel opened (its SCTP setup failed?)'
					: 'the peer left before the transfer began');
			return;
		case 'offer':
			if (this.remote && m.from !== this.remote) return;
			if (this.peer) return; /* one offer per session */
			this.remote = m.from;
			this.role = 'answerer';
			this.createPeer(false);
			await this.peer.takeOffer(m.sdp);
			this.emit('answer-sent', {});
			if (this.opts.maker) this.openChannel();
			return;
		case 'answer':
			if (!this.peer || m.from !== this.remote || this.role !== 'offerer') return;
			await this.peer.takeAnswer(m.sdp);
			return;
		case 'candidate':
			if (this.remote && m.from !== this.remote) return;
			this.emit('log', { text: `remote candidate ${describeCandidate(m.candidate)}` });
			if (!this.peer) {
				this.early.push(m); /* before the offer that creates our peer connection */
				return;
			}
			await this.peer.addRemoteCandidate(m);
			return;
		case 'error':
			if (m.code === 'rate-limited') return this.emit('log', { text: 'signaling server: rate limited' });
			/* a late candidate for a peer that has left the room already: harmless */
			if (m.code === 'peer-not-found') return this.emit('log', { text: 'signaling server: the peer is no longer in the room' });
			return this.fail(m.code === 'room-full' ? 'room-full' : m.code === 'unauthorized' ? 'unauthorized' : 'signaling',
				describeServerError(m.code, m.message));
		default:
			return;
		}
	}

	async onJoined(m) {
		const peers = Array.isArray(m.peers) ? m.peers : [];
		this.iceServers = m.ice_servers;
		this.emit('joined', { room: m.room, peer: m.peer, peers: peers.length, iceServers: Array.isArray(m.ice_servers) ? m.ice_servers.length : 0 });
		if (this.opts.maker && peers.length > 0)
			return this.fail('room-taken', 'the room of this code is taken; make a new code');
		if (!this.opts.maker && peers.length === 0)
			return this.fail('no-peer', 'nobody is waiting for this code (mistyped, or the other side has stopped)');
		if (peers.length === 0) {
			this.setPhase('waiting');
			return;
		}
		/* We joined second: we offer (PROTOCOL.md §5). */
		this.remote = peers[0].peer;
		this.role = 'offerer';
		this.setPhase('connecting');
		this.armTimeout();
		this.createPeer(true);
		await this.peer.makeOffer();
		this.emit('offer-sent', {});
	}

	armTimeout() {
		clearTimeout(this.timer);
		this.timer = setTimeout(() => {
			if (this.authenticated || this.finished) return;
			if (this.dcOpened) this.fail('timeout', 'the peer did not authenticate in time');
			else if (this.connected) this.fail('channel', 'connected to the peer, but the data channel did not open in time (SCTP)');
			else this.fail('ice', `could not connect to the peer within ${CONNECT_TIMEOUT_MS / 1000} s (no network path; a TURN server may be needed)`);
		}, CONNECT_TIMEOUT_MS);
	}

	createPeer(offerer) {
		this.peer = new Peer({ iceServers: this.iceServers, offerer }, {
			signal: (msg) => {
				if (this.dcOpened || this.finished) return; /* connected: the room plays no part now */
				if (msg.type === 'candidate') this.emit('log', { text: `local candidate ${describeCandidate(msg.candidate)}` });
				this.sig.send({ ...msg, to: this.remote });
			},
			state: (st) => this.onPeerState(st),
			channel: (dc) => this.onRemoteChannel(dc),
			log: (text) => this.emit('log', { text }),
		});
		for (const m of this.early.splice(0)) if (m.from === this.remote) this.peer.addRemoteCandidate(m);
	}

	onPeerState(st) {
		this.emit('connection-state', { state: st });
		if (this.finished) return;
		if (st === 'connected') {
			if (!this.connected) {
				this.connected = true;
				this.peer.selectedPath().then((p) => {
					this.path = p;
					this.emit('connected', { path: p ? p.text : null, relayed: p ? p.relayed : null });
				});
			}
			return;
		}
		if (st === 'disconnected') {
			this.emit('log', { text: 'connection interrupted; waiting for it to recover' });
			return;
		}
		if (st !== 'failed' && st !== 'closed') return;
		if (this.expectClose) return this.finish(true);
		if (this.authenticated) return this.fail('lost', 'lost the connection to the peer');
		if (this.connected && !this.dcOpened)
			return this.fail('channel', 'connected to the peer, but the data channel never opened (the SCTP association failed)');
		if (this.dcOpened) return this.fail('auth', 'the peer hung up before proving the code: a wrong code, or the signaling server altered the connection');
		const ice = this.peer.pc.iceConnectionState;
		if (ice === 'connected' || ice === 'completed')
			return this.fail('dtls', 'the secure connection (DTLS) to the peer failed: the signaling server may be tampering');
		return this.fail('ice', 'could not connect to the peer: ICE failed (no network path between the two; a TURN server may be needed)');
	}

	/* ------------------------------------------------------------ the channel */

	openChannel() {
		const label = this.opts.mode === 'pipe' ? PIPE_LABEL : XFER_LABEL;
		this.attachChannel(this.peer.pc.createDataChannel(label, { ordered: true }));
	}

	onRemoteChannel(dc) {
		if (this.dc || this.finished) {
			this.emit('log', { text: `ignoring an unexpected data channel '${dc.label}'` });
			return;
		}
		if (dc.label !== XFER_LABEL && dc.label !== PIPE_LABEL) {
			this.emit('log', { text: `ignoring an unexpected data channel '${dc.label}'` });
			return;
		}
		if (!dc.ordered || dc.maxRetransmits !== null || dc.maxPacketLifeTime !== null) {
			/* TRANSFER.md §5.1: files only on a reliable, ordered channel. */
			this.attachChannel(dc);
			const refuse = () => { this.sendRaw(build.abort('the channel must be reliable and ordered')); this.fail('protocol', `the peer opened ${dc.label} unordered or unreliable; refused`); };
			if (dc.readyState === 'open') refuse(); else dc.onopen = refuse;
			return;
		}
		this.attachChannel(dc);
	}

	attachChannel(dc) {
		this.dc = dc;
		this.label = dc.label;
		dc.binaryType = 'arraybuffer';
		dc.bufferedAmountLowThreshold = LOW_WATER;
		this.emit('channel', { label: dc.label, opened: this.opts.maker ? 'us' : 'peer' });
		this.seq = new Seq(dc.label === PIPE_LABEL, dc.label === XFER_LABEL && !!this.opts.maker);
		dc.onopen = () => this.onChannelOpen();
		dc.onmessage = (ev) => this.onMessage(ev.data);
		dc.onclose = () => this.onChannelClose();
		dc.onerror = (ev) => this.emit('log', { text: `data channel error: ${ev.error ? ev.error.message : 'unknown'}` });
		if (dc.readyState === 'open') this.onChannelOpen();
	}

	onChannelOpen() {
		if (this.dcOpened) return;
		this.dcOpened = true;
		this.setPhase('authenticating');
		this.authSent = this.sendAuth().catch((e) => {
			this.fail('internal', `cannot compute the authentication message: ${e.message}`);
			throw e;
		});
	}

	async sendAuth() {
		const mac = await localMac(this.opts.secret, this.role === 'offerer', this.peer.localFingerprint(), this.peer.remoteFingerprint());
		if (this.finished) return;
		this.sendControl(build.auth(toHex(mac)));
	}

	onChannelClose() {
		if (this.finished) return;
		if (this.expectClose) return this.finish(true);
		if (!this.dcOpened)
			return this.fail('channel', 'connected to the peer, but the data channel never opened (the SCTP association failed)');
		if (!this.authenticated)
			return this.fail('auth', 'the peer hung up before proving the code: a wrong code, or the signaling server altered the connection');
		this.fail('peer-closed', 'the peer closed the connection');
	}

	/* Messages are handled one at a time, in order, even when a handler waits (auth). */
	onMessage(data) {
		this.inbox.push(data);
		if (!this.draining) this.drain();
	}

	async drain() {
		this.draining = true;
		while (this.inbox.length && !this.finished) {
			const data = this.inbox.shift();
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

	leaveRoom() {
		clearTimeout(this.leaveTimer);
		if (this.sig) this.sig.close();
	}

	handle(data) {
		const binary = typeof data !== 'string';
		if (!this.authenticated) return this.checkAuth(binary, data);
		this.leaveRoom(); /* the peer talks to us: it has verified us */
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
		let m = null;
		if (!binary) {
			try { m = parseControl(data); } catch { m = null; }
		}
		if (m && m.type === 'abort') {
			if (/authentication/i.test(m.reason))
				return this.fail('auth', `the peer could not verify us (${m.reason}): a wrong code, or the signaling server altered the connection`, { reason: m.reason });
			return this.fail('peer-aborted', `the peer aborted: ${m.reason}`, { reason: m.reason });
		}
		let ok = false;
		if (m && m.type === 'auth') {
			await this.authSent;
			ok = await verifyPeerMac(this.opts.secret, this.role === 'offerer', this.peer.localFingerprint(), this.peer.remoteFingerprint(), m.mac);
		}
		if (this.finished) return;
		if (!ok) {
			this.sendRaw(build.abort('authentication failed'));
			return this.fail('auth', 'authentication failed: the peer does not know the code, or the signaling server altered the connection');
		}
		this.seq.text(PEER, m);
		this.authenticated = true;
		clearTimeout(this.timer);
		/* The rest is peer to peer, and we leave the room (TRANSFER.md §1), but not at once:
		 * our auth may still be on its way, and a peer that sees us leave before it has
		 * verified us gives up (rtcpeer does). Its first message after auth proves it has;
		 * LEAVE_AFTER_MS is the bound for a quiet peer. */
		this.leaveTimer = setTimeout(() => this.leaveRoom(), LEAVE_AFTER_MS);
		this.emit('authenticated', { role: this.role, label: this.label });
		this.app = this.makeApp(this.label, this);
		this.setPhase('ready');
		if (this.app.start) this.app.start();
	}

	/* ------------------------------------------------------------ sending */

	sendRaw(msg) {
		try {
			if (this.dc && this.dc.readyState === 'open') this.dc.send(JSON.stringify(msg));
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

	chunkSize() { return this.peer.maxMessageSize(CHUNK_MAX); }
	buffered() { return this.dc ? this.dc.bufferedAmount : 0; }

	/* Resolves once the channel's buffer is below LOW_WATER (or the session ended). */
	drained(level = LOW_WATER) {
		return new Promise((resolve) => {
			const check = () => {
				if (this.finished || !this.dc || this.dc.readyState !== 'open' || this.dc.bufferedAmount <= level) {
					this.dc && this.dc.removeEventListener('bufferedamountlow', check);
					clearInterval(poll);
					resolve();
				}
			};
			const poll = setInterval(check, 200); /* in case the event was missed */
			this.dc.addEventListener('bufferedamountlow', check);
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
		this.finished = true;
		clearTimeout(this.timer);
		clearTimeout(this.leaveTimer);
		if (this.app && this.app.stop) this.app.stop(ok);
		if (this.sig) this.sig.close();
		this.setPhase(ok ? 'done' : 'failed', info);
		this.emit(ok ? 'done' : 'error', info);
		/* Close once what we queued (an abort, a bye) has left, or after LINGER_MS. */
		const t0 = Date.now();
		const tick = () => {
			if (this.dc && this.dc.readyState === 'open' && this.dc.bufferedAmount > 0 && Date.now() - t0 < LINGER_MS)
				return setTimeout(tick, 20);
			try { this.dc && this.dc.close(); } catch { /* gone */ }
			this.peer && this.peer.close();
		};
		setTimeout(tick, this.dc && this.dc.bufferedAmount > 0 ? 20 : 50);
	}
}

/* "host udp 10.0.0.2:5000", "srflx udp ...", or "(end of candidates)" for the log. */
function describeCandidate(c) {
	if (typeof c !== 'string' || c === '') return '(end of candidates)';
	const f = c.replace(/^a=/, '').split(' ');
	const typ = f.indexOf('typ');
	return f.length >= 8 ? `${typ > 0 ? f[typ + 1] : '?'} ${f[2].toLowerCase()} ${f[4]}:${f[5]}` : c;
}
