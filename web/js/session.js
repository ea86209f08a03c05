/*
 * session.js - one transfer session with a code, start to end: join the code's room on signald
 * (max_peers 2), make or take the offer (the peer that joins second offers, PROTOCOL.md §5),
 * the one data channel on the Link (link.js), authenticated with the code's secret
 * (TRANSFER.md §4), then the application: files (xfer.js) or pipe (pipe.js). Once the peer is
 * verified the room is left (TRANSFER.md §1): the rest is peer to peer.
 *
 * Whoever made the code (`maker`) waits in the room, answers, and opens the channel: rtc-xfer.v1
 * when sending files, rtc-pipe.v1 for a pipe (TRANSFER.md §1, §5.1, §9). The other side takes
 * whichever of the two the peer opens.
 *
 * Everything observable goes through emit(type, detail); see main.js for the event names.
 */
import { SignalClient, describeServerError, closeReason } from './signal.js';
import { Link, describeCandidate } from './link.js';
import { XFER_LABEL, PIPE_LABEL } from './wire.js';

const LEAVE_AFTER_MS = 5000;      /* authenticated → leave the room, if the peer stays quiet */

export class Session {
	/*
	 * opts: {room, secret (Uint8Array 16), maker (bool), mode ('send' | 'pipe', maker only),
	 *        serverUrl, token}; emit(type, detail); makeApp(label, channel) → the application.
	 */
	constructor(opts, emit, makeApp) {
		this.opts = opts;
		this.emit = emit;
		this.makeApp = makeApp;
		this.phase = 'idle';
		this.link = null;            /* the connection to the other peer */
		this.ch = null;              /* its one channel */
		this.accepted = false;       /* we took the channel the peer opened */
		this.finished = false;
		this.sig = null;
		this.iceServers = [];
		this.leaveTimer = 0;
	}

	/* What main.js reads. */
	get role() { return this.link ? this.link.role : null; }
	get label() { return this.ch ? this.ch.label : null; }
	get authenticated() { return !!(this.ch && this.ch.authenticated); }
	get seq() { return this.ch ? this.ch.seq : null; }
	get path() { return this.link ? this.link.path : null; }

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
				if (this.authenticated || this.finished || (this.link && this.link.dcOpened)) return; /* the channel decides */
				this.fail('signaling', `signaling server ${this.opts.serverUrl}: ${closeReason(info)}`);
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
			if (!this.link) {
				this.newLink(m.peer, false);
				this.setPhase('connecting');
			}
			return;
		case 'peer-left':
			this.emit('peer-left', { peer: m.peer });
			/* Once the channel is open the peer may leave the room as soon as it has verified
			 * us, possibly before its auth reaches us: from then on the channel decides. */
			if (this.link && m.peer === this.link.remote && !this.link.dcOpened)
				this.fail('peer-left', this.link.connected
					? 'the peer left after connecting, before the data channel opened (its SCTP setup failed?)'
					: 'the peer left before the transfer began');
			return;
		case 'offer':
		case 'answer':
		case 'candidate':
			if (!this.link && m.type === 'offer') this.newLink(m.from, false);
			if (this.link && m.from === this.link.remote) await this.link.onSignal(m);
			return;
		case 'error':
			if (m.code === 'rate-limited') return this.emit('log', { text: 'signaling server: rate limited' });
			/* a late candidate for a peer that has left the room already: harmless */
			if (m.code === 'peer-not-found') return this.emit('log', { text: 'signaling server: the peer is no longer in the room' });
			/* a relay the peer was too slow to take (PROTOCOL.md §6): the connect timeout decides */
			if (m.code === 'peer-busy') return this.emit('log', { text: `signaling server: not delivered to the peer (${m.message || 'peer-busy'})` });
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
		this.newLink(peers[0].peer, true);
		this.setPhase('connecting');
		await this.link.start();
	}

	newLink(remote, offerer) {
		this.link = new Link({ remote, offerer, iceServers: this.iceServers, key: this.opts.secret }, this.linkOwner());
		return this.link;
	}

	leaveRoom() {
		clearTimeout(this.leaveTimer);
		if (this.sig) this.sig.close();
	}

	/* What the Link asks of us (link.js): one channel, and the session is that channel. */
	linkOwner() {
		return {
			signal: (link, msg) => {
				if (link.dcOpened || this.finished) return; /* connected: the room plays no part now */
				if (msg.type === 'candidate') this.emit('log', { text: `local candidate ${describeCandidate(msg.candidate)}` });
				this.sig.send({ ...msg, to: link.remote });
			},
			emit: (link, type, detail, ch) => {
				if (ch && !this.ch) this.ch = ch; /* its first event: 'channel' */
				this.emit(type, detail);
			},
			answered: (link) => {
				if (this.opts.maker) link.openChannel(this.opts.mode === 'pipe' ? PIPE_LABEL : XFER_LABEL);
			},
			/* The maker opens the one channel; the other side takes the first the peer opens. */
			accept: () => {
				if (this.opts.maker || this.accepted || this.finished) return false;
				this.accepted = true;
				return true;
			},
			makeApp: (link, ch) => this.makeApp(ch.label, ch),
			phase: (link, ch, p) => this.setPhase(p),
			/* The rest is peer to peer, and we leave the room (TRANSFER.md §1), but not at once:
			 * our auth may still be on its way, and a peer that sees us leave before it has
			 * verified us gives up (rtcpeer does). Its first message after auth proves it has;
			 * LEAVE_AFTER_MS is the bound for a quiet peer. */
			authenticated: () => { this.leaveTimer = setTimeout(() => this.leaveRoom(), LEAVE_AFTER_MS); },
			spoke: () => this.leaveRoom(),
			ended: (link, ch, ok, info) => this.end(ok, info),
			failed: (link, code, message) => this.fail(code, message),
		};
	}

	/* ------------------------------------------------------------ ending */

	/* Sends an abort (if the channel is up) and fails with the given reason. */
	abort(reason, code = 'aborted') {
		if (this.finished) return;
		if (this.ch) this.ch.abort(reason, code); /* sends abort if the channel is up */
		this.fail(code, reason);
	}

	fail(code, message, extra = {}) {
		if (this.finished) return;
		this.end(false, { code, message, ...extra });
	}

	end(ok, info) {
		if (this.finished) return;
		this.finished = true;
		clearTimeout(this.leaveTimer);
		if (this.link) this.link.close(ok, info); /* ends the channel first (app.stop), then closes */
		if (this.sig) this.sig.close();
		this.setPhase(ok ? 'done' : 'failed', info);
		this.emit(ok ? 'done' : 'error', info);
	}
}
