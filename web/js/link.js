/*
 * link.js - the connection to one remote peer: its RTCPeerConnection (peer.js), the offer or
 * answer and trickled candidates relayed through the room, the bound on how long connecting
 * may take, what a failure means in words, and the data channels (channel.js) on it.
 *
 * The owner decides what differs between a code session (session.js: one channel, the room is
 * left once authenticated) and a room (room.js: one link per member, a text channel and file
 * batches on each). It provides:
 *
 *   signal(link, msg)              relay an offer/answer/candidate to link.remote (adds `to`)
 *   emit(link, type, detail, ch)   an event (ch: the Channel it concerns, if any)
 *   answered(link)                 our answer is out (the answerer opens its channels now)
 *   accept(link, dc)               may the peer open this channel? true, or false to ignore it
 *   makeApp(link, ch)              the application for a channel that authenticated
 *   phase(link, ch, phase, detail) a channel's phase changed
 *   authenticated(link, ch)        a channel authenticated (first time: the peer is verified)
 *   spoke(link, ch)                the peer sent something after auth on ch
 *   ended(link, ch, ok, info)      a channel ended ({code, message} when not ok)
 *   failed(link, code, message)    the connection itself failed, or could not be made in time
 */
import { sdpFingerprint } from './auth.js';
import { Peer } from './peer.js';
import { Channel } from './channel.js';
import { XFER_LABEL, PIPE_LABEL } from './wire.js';

export const CONNECT_TIMEOUT_MS = 30000; /* link made → authenticated (rtcpeer's --timeout default) */

export class Link {
	/*
	 * remote: the peer's signaling id; offerer: we make the offer; key: the HMAC key for auth;
	 * secretName: what the user calls that key, for messages ('the code', 'the room key').
	 */
	constructor({ remote, offerer, iceServers, key, secretName = 'the code' }, owner) {
		this.remote = remote;
		this.offerer = offerer;
		this.iceServers = iceServers;
		this.key = key;
		this.owner = owner;
		this.peer = null;
		this.channels = new Set();
		this.early = [];             /* remote candidates that came before the peer connection */
		this.connected = false;
		this.dcOpened = false;       /* some channel opened */
		this.authenticated = false;  /* some channel verified the peer */
		this.closing = false;
		this.path = null;
		const wrong = `a wrong ${secretName.replace(/^the /, '')}`;
		this.words = { secret: secretName, wrong, hungUp: `the peer hung up before proving ${secretName}: ${wrong}, or the signaling server altered the connection` };
		this.timer = setTimeout(() => this.onTimeout(), CONNECT_TIMEOUT_MS);
	}

	get role() { return this.offerer ? 'offerer' : 'answerer'; }

	emit(type, detail = {}, ch = null) { this.owner.emit(this, type, detail, ch); }

	/* The offerer starts at once; the answerer waits for the offer (onSignal). */
	async start() {
		if (!this.offerer) return;
		this.createPeer();
		await this.peer.makeOffer();
		this.emit('offer-sent', {});
	}

	/* An offer, answer or candidate that signald relayed from this peer. */
	async onSignal(m) {
		if (this.closing) return;
		switch (m.type) {
		case 'offer':
			if (this.offerer || this.peer) return; /* one offer per link */
			this.createPeer();
			if (!this.fingerprintOk(m.sdp)) return;
			await this.peer.takeOffer(m.sdp);
			this.emit('answer-sent', {});
			if (!this.closing) this.owner.answered(this);
			return;
		case 'answer':
			if (!this.peer || !this.offerer) return;
			if (!this.fingerprintOk(m.sdp)) return;
			await this.peer.takeAnswer(m.sdp);
			return;
		case 'candidate':
			this.emit('log', { text: `remote candidate ${describeCandidate(m.candidate)}` });
			if (!this.peer) this.early.push(m); /* before the offer that creates our connection */
			else await this.peer.addRemoteCandidate(m);
			return;
		default:
			return;
		}
	}

	/* Before any remote description is applied (the only place it is checked): one whose
	 * fingerprints the mac would not cover is the signaling server tampering (auth.js
	 * sdpFingerprint), and the link fails as authentication does. */
	fingerprintOk(sdp) {
		try {
			sdpFingerprint(sdp);
			return true;
		} catch (e) {
			this.fail('dtls', `refused the peer's description: ${e.message} (the signaling server may be tampering)`);
			return false;
		}
	}

	createPeer() {
		this.peer = new Peer({ iceServers: this.iceServers, offerer: this.offerer }, {
			signal: (msg) => {
				if (this.closing) return;
				this.owner.signal(this, msg);
			},
			state: (st) => this.onPeerState(st),
			channel: (dc) => this.onRemoteChannel(dc),
			log: (text) => this.emit('log', { text }),
		});
		for (const m of this.early.splice(0)) this.peer.addRemoteCandidate(m);
	}

	onPeerState(st) {
		this.emit('connection-state', { state: st });
		if (this.closing) return;
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
		/* A channel that expected the end (after bye) ends well; the others by what we know. */
		const [code, message] = this.whatFailed();
		for (const ch of [...this.channels]) {
			if (ch.expectClose) ch.finish(true);
			else ch.fail(code, message);
		}
		this.fail(code, message);
	}

	/* Why the connection went away, in words, from how far it got. */
	whatFailed() {
		if (this.authenticated) return ['lost', 'lost the connection to the peer'];
		if (this.connected && !this.dcOpened)
			return ['channel', 'connected to the peer, but the data channel never opened (the SCTP association failed)'];
		if (this.dcOpened)
			return ['auth', this.words.hungUp];
		const ice = this.peer ? this.peer.pc.iceConnectionState : 'new';
		if (ice === 'connected' || ice === 'completed')
			return ['dtls', 'the secure connection (DTLS) to the peer failed: the signaling server may be tampering'];
		return ['ice', 'could not connect to the peer: ICE failed (no network path between the two; a TURN server may be needed)'];
	}

	onTimeout() {
		if (this.authenticated || this.closing) return;
		const [code, message] = this.dcOpened ? ['timeout', 'the peer did not authenticate in time']
			: this.connected ? ['channel', 'connected to the peer, but the data channel did not open in time (SCTP)']
			: ['ice', `could not connect to the peer within ${CONNECT_TIMEOUT_MS / 1000} s (no network path; a TURN server may be needed)`];
		for (const ch of [...this.channels]) ch.fail(code, message);
		this.fail(code, message);
	}

	/* ------------------------------------------------------------ channels */

	/* A channel we open (reliable, ordered: TRANSFER.md §5.1, §9). */
	openChannel(label) {
		const ch = new Channel(this.peer.pc.createDataChannel(label, { ordered: true }), this, { weOpened: true });
		this.channels.add(ch);
		return ch;
	}

	onRemoteChannel(dc) {
		if (this.closing || (dc.label !== XFER_LABEL && dc.label !== PIPE_LABEL) || !this.owner.accept(this, dc)) {
			this.emit('log', { text: `ignoring an unexpected data channel '${dc.label}'` });
			return;
		}
		const unfit = !dc.ordered || dc.maxRetransmits !== null || dc.maxPacketLifeTime !== null;
		const ch = new Channel(dc, this, { weOpened: false, refuse: unfit ? 'the channel must be reliable and ordered' : null });
		this.channels.add(ch);
	}

	channelEvent(ch, type, detail) { this.emit(type, detail, ch); }
	channelPhase(ch, p, detail) { this.owner.phase(this, ch, p, detail); }
	channelOpened() { this.dcOpened = true; }
	channelSpoke(ch) { this.owner.spoke(this, ch); }

	channelAuthenticated(ch) {
		this.authenticated = true;
		clearTimeout(this.timer);
		this.owner.authenticated(this, ch);
		return this.owner.makeApp(this, ch);
	}

	channelEnded(ch, ok, info) { this.owner.ended(this, ch, ok, info); }

	channelClosed(ch) {
		this.channels.delete(ch);
		if (this.closing && this.channels.size === 0 && this.peer) this.peer.close();
	}

	/* ------------------------------------------------------------ ending */

	fail(code, message) {
		if (this.closing) return;
		this.owner.failed(this, code, message);
		this.close(false, { code, message });
	}

	/*
	 * Ends every channel still running (with `info` when not ok), then closes the connection
	 * once they have closed: a last abort or bye gets out first.
	 */
	close(ok = false, info = { code: 'closed', message: 'closed' }) {
		if (this.closing) return;
		this.closing = true;
		clearTimeout(this.timer);
		for (const ch of [...this.channels]) if (!ch.finished) ch.end(ok, info);
		if (this.channels.size === 0) setTimeout(() => this.peer && this.peer.close(), 50);
	}

	/* Sends abort on every channel that is up, then closes (the page is going away). */
	abortAll(reason, code) {
		for (const ch of [...this.channels]) ch.abort(reason, code);
		this.close(false, { code, message: reason });
	}
}

/* "host udp 10.0.0.2:5000", "srflx udp ...", or "(end of candidates)" for the log. */
export function describeCandidate(c) {
	if (typeof c !== 'string' || c === '') return '(end of candidates)';
	const f = c.replace(/^a=/, '').split(' ');
	const typ = f.indexOf('typ');
	return f.length >= 8 ? `${typ > 0 ? f[typ + 1] : '?'} ${f[2].toLowerCase()} ${f[4]}:${f[5]}` : c;
}
