/*
 * room.js - a room of several peers: a full mesh, one Link (link.js) per other member, each
 * with its own connection, authentication and channels.
 *
 * Who offers is PROTOCOL.md §5's rule, as in a two-peer code room: whoever joins offers to
 * every member listed in `joined`; members already there answer the newcomer after
 * `peer-joined`. No glare, no id comparison, and rtcpeer's rule for two peers is the case n=2.
 *
 * On each link, the answerer opens the text channel (rtc-pipe.v1); each side opens an
 * rtc-xfer.v1 channel per batch of files it sends, and takes the other side's as the receiver.
 * Every channel starts with the auth of TRANSFER.md §4. Its key is the room key from the link
 * (#key=...); a room without one uses SHA-256("rtcpeer-web-room-v1" 0x00 room) instead, which
 * keeps the wire protocol the same but proves nothing the server does not know: such a room is
 * shown as not verified.
 *
 * A member that leaves the room (`peer-left`) takes its link down, and only its link. The room
 * stays joined for as long as the page is open: that is how newcomers find us.
 *
 * Events (emit(type, detail), every per-peer one with `peer`, channel ones with `chan`, `label`):
 * joined, peer-joined {peer, name, present}, peer-left, peer-state {peer, state, code?, message?},
 * channel-phase {phase}, channel-ended {ok, opened, code?, message?}, room-offline, plus what
 * Link, Channel and the applications emit (connected, authenticated, file-*, text-*, ...).
 */
import { SignalClient, describeServerError, closeReason } from './signal.js';
import { Link, describeCandidate } from './link.js';
import { sha256 } from './sha256.js';
import { XFER_LABEL, PIPE_LABEL } from './wire.js';

const KEYLESS_CONTEXT = 'rtcpeer-web-room-v1\0';
const NAME_MAX = 40;

/* The HMAC key of a room: its own key, or one anybody who knows the room id can compute. */
export function roomKey(room, key) {
	return key || sha256(new TextEncoder().encode(KEYLESS_CONTEXT + room));
}

/* A display name from a member's meta: untrusted text, so short and without control characters. */
export function cleanName(meta) {
	const n = meta && typeof meta.name === 'string' ? meta.name : '';
	return [...n.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')].slice(0, NAME_MAX).join('').trim();
}

/* One other member: id, name, and how far our link to it got. */
class Member {
	constructor(id, name, present) {
		this.id = id;
		this.name = name;
		this.present = present;      /* it was in the room before us */
		this.link = null;
		this.state = 'connecting';   /* connecting | authenticating | ready | failed | left */
		this.error = null;           /* {code, message} once failed */
		this.pipeTaken = false;
	}
}

export class Room {
	/*
	 * opts: {room, key (Uint8Array 16 or null), serverUrl, token, name}; emit(type, detail);
	 * makeApp(member, channel) → the application of an authenticated channel.
	 */
	constructor(opts, emit, makeApp) {
		this.opts = opts;
		this.emit = emit;
		this.makeApp = makeApp;
		this.keyed = !!opts.key;
		this.key = roomKey(opts.room, opts.key);
		this.phase = 'idle';         /* signaling | room | offline | failed */
		this.error = null;
		this.me = null;
		this.members = new Map();    /* id → Member, including those that left */
		this.iceServers = [];
		this.sig = null;
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
				const meta = this.opts.name ? { name: this.opts.name } : undefined;
				this.sig.join(this.opts.room, { token: this.opts.token, meta });
			},
			message: (m) => this.onSignal(m).catch((e) => this.emit('log', { text: `internal error: ${e.message}` })),
			close: (info) => {
				if (this.phase === 'room') {
					/* The links made so far do not need the server; new members cannot reach us. */
					this.setPhase('offline', { message: `lost the signaling server (${closeReason(info)}): peers who join from now on cannot reach you` });
					this.emit('room-offline', {});
				} else if (this.phase === 'signaling') {
					this.fail('signaling', `signaling server ${this.opts.serverUrl}: ${closeReason(info)}`);
				}
			},
		});
		this.sig.connect();
	}

	fail(code, message) {
		if (this.phase === 'failed') return;
		this.error = { code, message };
		if (this.sig) this.sig.close();
		for (const m of this.members.values()) if (m.link) m.link.close(false, { code, message });
		this.setPhase('failed', { code, message });
		this.emit('error', { code, message });
	}

	/* The page goes away: tell every peer on every channel, then leave. */
	leave() {
		for (const m of this.members.values()) if (m.link) m.link.abortAll('the browser page was closed', 'closed');
		if (this.sig) this.sig.close();
	}

	/* ------------------------------------------------------------ signaling */

	async onSignal(m) {
		if (this.phase === 'failed') return;
		switch (m.type) {
		case 'joined': return this.onJoined(m);
		case 'peer-joined':
			this.addMember(m.peer, m.meta, false);
			return;
		case 'peer-left': {
			const mem = this.members.get(m.peer);
			if (!mem || mem.state === 'left') return;
			this.setState(mem, 'left');
			this.emit('peer-left', { peer: m.peer, name: mem.name });
			if (mem.link) mem.link.close(false, { code: 'peer-left', message: 'the peer left the room' });
			return;
		}
		case 'offer':
		case 'answer':
		case 'candidate': {
			let mem = this.members.get(m.from);
			if (!mem && m.type === 'offer') mem = this.addMember(m.from, {}, false);
			if (mem && mem.link && mem.state !== 'left') await mem.link.onSignal(m);
			return;
		}
		case 'error':
			if (m.code === 'rate-limited') return this.emit('log', { text: 'signaling server: rate limited' });
			if (m.code === 'peer-not-found') return this.emit('log', { text: 'signaling server: that peer is no longer in the room' });
			/* a relay some member was too slow to take (PROTOCOL.md §6): that link's timeout decides */
			if (m.code === 'peer-busy') return this.emit('log', { text: `signaling server: not delivered (${m.message || 'peer-busy'})` });
			if (m.code === 'room-full')
				return this.fail('room-full', 'this room is full (the signaling server limits how many peers a room holds)');
			return this.fail(m.code === 'unauthorized' ? 'unauthorized' : 'signaling', describeServerError(m.code, m.message));
		default:
			return;
		}
	}

	async onJoined(m) {
		const peers = Array.isArray(m.peers) ? m.peers : [];
		this.me = m.peer;
		this.iceServers = m.ice_servers;
		this.emit('joined', { room: m.room, peer: m.peer, peers: peers.length, maxPeers: m.max_peers,
			iceServers: Array.isArray(m.ice_servers) ? m.ice_servers.length : 0 });
		/* A transfer code's room (max_peers 2) is not ours to mesh in: the code's two peers
		 * would fail their transfer. Leave before anybody offers. */
		if (m.max_peers === 2 && peers.length > 0)
			return this.fail('code-room', 'this is the room of a transfer code, not a room for several peers: open the whole link (with its secret after #)');
		this.setPhase('room');
		/* We are the newcomer: we offer to everybody here (PROTOCOL.md §5). */
		await Promise.all(peers.map((p) => {
			const mem = this.addMember(p.peer, p.meta, true);
			return mem.link.start().catch((e) => mem.link.fail('internal', `cannot make the offer: ${e.message}`));
		}));
	}

	addMember(id, meta, present) {
		const old = this.members.get(id);
		if (old && old.state !== 'left') return old;
		const mem = new Member(id, cleanName(meta), present);
		this.members.set(id, mem);
		mem.link = new Link({ remote: id, offerer: present, iceServers: this.iceServers, key: this.key, secretName: 'the room key' }, this.linkOwner(mem));
		this.emit('peer-joined', { peer: id, name: mem.name, present });
		return mem;
	}

	setState(mem, state, detail = {}) {
		if (mem.state === state || mem.state === 'left') return;
		mem.state = state;
		if (state === 'failed') mem.error = { code: detail.code, message: detail.message };
		this.emit('peer-state', { peer: mem.id, state, verified: state === 'ready' && this.keyed, ...detail });
	}

	/* ------------------------------------------------------------ the links' owner (link.js) */

	linkOwner(mem) {
		return {
			signal: (link, msg) => {
				if (msg.type === 'candidate') this.emit('log', { text: `to ${mem.id.slice(0, 6)}: local candidate ${describeCandidate(msg.candidate)}` });
				if (this.sig) this.sig.send({ ...msg, to: link.remote });
			},
			emit: (link, type, detail, ch) => {
				const about = ch ? { chan: ch.serial, label: ch.label } : {};
				this.emit(type, { ...about, ...detail, peer: mem.id });
			},
			answered: (link) => link.openChannel(PIPE_LABEL),
			/* The offerer takes one text channel; anybody may send us files, a batch a channel. */
			accept: (link, dc) => {
				if (dc.label === XFER_LABEL) return true;
				if (!link.offerer || mem.pipeTaken) return false;
				mem.pipeTaken = true;
				return true;
			},
			makeApp: (link, ch) => this.makeApp(mem, ch),
			phase: (link, ch, p) => {
				if (p === 'authenticating' && mem.state === 'connecting') this.setState(mem, 'authenticating');
				this.emit('channel-phase', { peer: mem.id, chan: ch.serial, label: ch.label, phase: p });
			},
			authenticated: () => this.setState(mem, 'ready'),
			spoke: () => {},
			ended: (link, ch, ok, info) => {
				this.emit('channel-ended', { peer: mem.id, chan: ch.serial, label: ch.label, opened: ch.weOpened ? 'us' : 'peer',
					authenticated: ch.authenticated, ok, ...info });
				/* Failing before auth is failing to verify the peer: not a channel's problem. */
				if (!ok && !ch.authenticated && !link.closing) link.fail(info.code, info.message);
			},
			failed: (link, code, message) => this.setState(mem, 'failed', { code, message }),
		};
	}
}
