/*
 * roomapp.js - the page in a room (room.js): connects the Room's events to the cards of
 * roomview.js, runs per peer what the user asks (files out in batches, one text line), and
 * extends window.rtcTest for rooms:
 *
 *   rtcTest.state()            signaling | room | offline | failed
 *   rtcTest.info()             {phase, mode: 'room', room, me, keyed, name, error, server}
 *   rtcTest.peers()            [{id, name, state, verified, role, present, error, path}] every
 *                              peer seen, in order of arrival; state: connecting |
 *                              authenticating | ready | failed | left
 *   rtcTest.peer(idOrName)     a handle on one peer, or null:
 *     .sendFiles(files, {checkNames})  send File objects to that peer; resolves with
 *                              [{name, size, ok, reason, sha256?}] of the batch once it is over
 *                              (checkNames false: offer unsafe names anyway, as a hostile
 *                              sender would; for tests of the receiving side)
 *     .sendText(str)           str as is on that peer's text channel; false if it is not open
 *     .endText()               eof on it
 *     .received, .texts        files (verified) and lines from that peer
 *   rtcTest.received           every verified file, each with `from` (the peer's id)
 *   rtcTest.events             every event, per-peer ones with `peer`
 */
import { Room, cleanName } from './room.js';
import { RoomView, peerLabel } from './roomview.js';
import { FileSender, FileReceiver } from './xfer.js';
import { Pipe } from './pipe.js';
import { XFER_LABEL, PIPE_LABEL, nameProblem } from './wire.js';
import { roomLink } from './code.js';
import { keepLine } from './ui.js';

/* What we do with one other peer. */
class PeerCtl {
	constructor(id, name) {
		this.id = id;
		this.name = name;
		this.card = null;
		this.member = null;
		this.pipe = null;
		this.current = null;          /* the FileSender of the batch that still takes files */
		this.senders = new Map();     /* Channel → FileSender, until it authenticates */
		this.pending = [];            /* [File, checkNames] until the peer is ready */
		this.waiting = [];            /* [resolve, skipped results] of sendFiles() calls */
		this.received = [];
		this.texts = [];
		this.path = null;
	}

	get label() { return peerLabel(this.id, this.name); }
}

/*
 * Joins the room `target` ({room, key, keyText}) and runs the page for it. opts: {serverUrl,
 * token, name, test (window.rtcTest, extended here), record(type, detail) (into test.events)}.
 * Returns the Room.
 */
export function startRoom(target, { serverUrl, token, name, test, record }) {
	const view = new RoomView();
	const peers = new Map();           /* id → PeerCtl */
	const busy = new Set();            /* channels moving files: leaving the page would cut them */
	const myName = cleanName({ name });
	let room = null;

	const emit = (type, d = {}) => {
		record(type, d);
		onEvent(type, d);
	};

	const makeApp = (member, ch) => {
		const P = peers.get(member.id);
		if (ch.label === PIPE_LABEL) return (P.pipe = new Pipe(ch));
		if (!ch.weOpened) return new FileReceiver(ch);
		const s = P.senders.get(ch);
		P.senders.delete(ch);
		return s;
	};

	room = new Room({ room: target.room, key: target.key, serverUrl, token, name: myName }, emit, makeApp);
	view.show({ room: target.room, link: roomLink(location.origin, target), keyed: !!target.key });

	/* ---------------------------------------------------------------- files out */

	/* A batch is one rtc-xfer.v1 channel; files go into the open one while it takes them. */
	function sendFiles(P, files, { checkNames = true } = {}) {
		const skipped = [], ok = [];
		for (const f of files) {
			const li = P.card.out.queued(f.name, f.size);
			const problem = checkNames ? nameProblem(f.name) : null;
			if (problem) {
				P.card.out.skipped(li, `not sent: ${problem}`);
				skipped.push({ name: f.name, size: f.size, ok: false, reason: 'bad-name', message: `not sent: ${problem}` });
			} else if (['left', 'failed'].includes(P.member.state)) {
				P.card.out.skipped(li, 'not sent: no connection to this peer');
				skipped.push({ name: f.name, size: f.size, ok: false, reason: 'no-peer', message: 'not sent: no connection to this peer' });
			} else {
				ok.push(f);
			}
		}
		if (!ok.length) return Promise.resolve(skipped);
		if (P.current && P.current.add(ok, { checkNames })) return P.current.whenDone().then((r) => [...skipped, ...r]);
		P.pending.push(...ok.map((f) => [f, checkNames]));
		const done = new Promise((resolve) => P.waiting.push([resolve, skipped]));
		flush(P);
		return done;
	}

	/* Opens a batch for what is pending, once the peer is verified. */
	function flush(P) {
		if (P.member.state !== 'ready' || !P.pending.length) return;
		const ch = P.member.link.openChannel(XFER_LABEL);
		const sender = new FileSender(ch);
		for (const [f, checkNames] of P.pending.splice(0)) sender.add([f], { checkNames });
		sender.go(); /* runs once the channel has authenticated */
		P.senders.set(ch, sender);
		P.current = sender;
		for (const [resolve, skipped] of P.waiting.splice(0)) sender.whenDone().then((r) => resolve([...skipped, ...r]));
	}

	/* Resolves the sendFiles() calls still waiting for a peer that is gone. */
	function giveUp(P, why) {
		const lost = P.pending.splice(0).map(([f]) => ({ name: f.name, size: f.size, ok: false, reason: 'no-peer', message: why }));
		for (const [resolve, skipped] of P.waiting.splice(0)) resolve([...skipped, ...lost]);
		for (const li of P.card.out.waiting.splice(0).map((w) => w[2])) P.card.out.setState(li, why, 'bad');
	}

	/* ---------------------------------------------------------------- text */

	function sendText(P, text, line) {
		if (!P.pipe) return false;
		const data = line ? `${text}\n` : text;
		if (!P.pipe.send(data)) return false;
		P.card.text.append('me', line ? text : data);
		return true;
	}

	function endText(P) {
		if (!P.pipe) return false;
		P.pipe.end();
		return true;
	}

	/* ---------------------------------------------------------------- events */

	function onEvent(type, d) {
		const P = d.peer ? peers.get(d.peer) : null;
		const who = P ? `${P.label}: ` : '';
		const key = `${d.chan}:${d.id}`;
		switch (type) {
		case 'phase':
			if (d.phase === 'signaling') view.status('Connecting to the signaling server…');
			else if (d.phase === 'room') view.status('');
			else if (d.phase === 'offline') view.status(d.message);
			else if (d.phase === 'failed') { view.status(''); view.error(d.message[0].toUpperCase() + d.message.slice(1)); }
			return;
		case 'joined':
			view.joined(d.peer, myName);
			view.log(`joined room ${d.room} as ${d.peer}; ${d.peers} other peer(s); ${d.iceServers} ICE server(s)`);
			return;
		case 'peer-joined': {
			const ctl = new PeerCtl(d.peer, d.name);
			ctl.member = room.members.get(d.peer);
			peers.set(d.peer, ctl);
			ctl.card = view.addPeer(d.peer, d.name, {
				files: (files) => { sendFiles(ctl, files); },
				text: (line) => sendText(ctl, line, true),
				end: () => endText(ctl),
			});
			ctl.card.textNote('The text line opens once the connection is verified.');
			view.log(`${ctl.label} ${d.present ? 'is here' : 'joined'} (${d.peer})`);
			return;
		}
		case 'peer-left':
			view.peerState(d.peer, 'left');
			view.log(`${who}left the room`);
			return;
		case 'peer-state':
			view.peerState(d.peer, d.state, { verified: d.verified, message: d.message });
			if (d.state === 'ready') flush(P);
			if (d.state === 'failed' || d.state === 'left') giveUp(P, d.state === 'left' ? 'not sent: the peer left' : 'not sent: no connection');
			if (d.state === 'failed') view.log(`${who}${d.message}`);
			return;
		case 'connected':
			P.path = d.path;
			P.card.setPath(d.path);
			view.log(`${who}connected: ${d.path || 'path unknown'}`);
			return;
		case 'channel-phase':
			if (d.label === PIPE_LABEL && d.phase === 'piping') {
				P.card.textEnable(true, true);
				P.card.textNote('');
			}
			if (d.label === XFER_LABEL && ['sending', 'receiving'].includes(d.phase)) busy.add(d.chan);
			return;
		case 'channel-ended':
			busy.delete(d.chan);
			onChannelEnded(P, d);
			return;
		case 'file-offered':
			P.card.out.bind(key, d.name, d.size);
			P.card.out.state(key, 'offered, waiting for the receiver');
			return;
		case 'file-progress': {
			const list = d.dir === 'send' ? P.card.out : P.card.in;
			list.progress(key, d);
			if (d.dir === 'send') list.state(key, d.complete ? 'sent, waiting for the verdict' : 'sending');
			return;
		}
		case 'file-sent':
			P.card.out.state(key, d.ok ? `delivered, verified by ${P.label} (SHA-256 ${d.sha256.slice(0, 16)}…)` : d.message, d.ok ? 'ok' : 'bad');
			view.log(`${who}${d.name}: ${d.message}`);
			return;
		case 'file-incoming':
			P.card.in.incoming(key, d.name, d.size);
			view.log(`${who}receiving ${d.name} (${d.size} bytes)`);
			return;
		case 'file-rejected':
			P.card.in.rejected(d.name, d.message);
			view.log(`${who}refused a file: ${d.message}`);
			return;
		case 'file-received': {
			const r = { from: d.peer, name: d.name, size: d.size, sha256: d.sha256, url: d.url, blob: d.blob };
			test.received.push(r);
			P.received.push(r);
			P.card.in.received(key, d);
			view.log(`${who}received ${d.name} (${d.size} bytes), verified`);
			return;
		}
		case 'file-failed':
			P.card.in.state(key, d.message, 'bad');
			return;
		case 'text-chunk': P.card.text.append('peer', d.text); return;
		case 'text-received': keepLine(P.texts, d.text); return;
		case 'eof-sent':
			P.card.text.append('sys', '— you ended your text —');
			P.card.textEnable(false, false);
			P.card.textNote(P.pipe && P.pipe.peerEof ? '' : `Waiting for ${P.label} to end theirs…`);
			return;
		case 'eof-received':
			P.card.text.append('sys', `— ${P.label} ended their text —`);
			P.card.textNote(P.pipe && P.pipe.sentEof ? '' : `${P.label} has finished. Press End when you are done too.`);
			return;
		case 'log': view.log(`${who}${d.text}`); return;
		default:
			return;
		}
	}

	function onChannelEnded(P, d) {
		if (!P) return;
		/* Before auth, or with the whole link going: the card says it once, for the link. */
		const gone = !d.authenticated || ['peer-left', 'closed'].includes(d.code) || ['left', 'failed'].includes(P.member.state);
		if (d.label === PIPE_LABEL) {
			P.pipe = null;
			P.card.textEnable(false, false);
			if (d.ok) P.card.textNote('The text line has ended (both sides pressed End).');
			else if (!gone) P.card.textNote(`The text line broke: ${d.message}`);
			else P.card.textNote('');
			return;
		}
		if (d.opened === 'us') {
			if (P.current && P.current.s.serial === d.chan) P.current = null;
			if (!d.ok && !gone) P.card.error(`Sending failed: ${d.message}`);
			flush(P); /* files that came after this batch had sent `done` */
		} else if (!d.ok && !gone) {
			P.card.error(`Receiving failed: ${d.message}`);
		}
	}

	/* ---------------------------------------------------------------- rtcTest */

	const handle = (P) => ({
		id: P.id,
		name: P.name,
		received: P.received,
		texts: P.texts,
		info: () => peerInfo(P),
		sendFiles: (files, opts) => sendFiles(P, [...files], opts),
		sendText: (str) => sendText(P, String(str), false),
		endText: () => endText(P),
	});

	const peerInfo = (P) => {
		const m = P.member;
		return { id: P.id, name: P.name, state: m.state, verified: m.state === 'ready' && room.keyed,
			role: m.link.role, present: m.present, error: m.error, path: P.path };
	};

	Object.assign(test, {
		state: () => room.phase,
		info: () => ({ phase: room.phase, mode: 'room', room: target.room, me: room.me, keyed: room.keyed,
			name: myName, error: room.error, server: serverUrl }),
		peers: () => [...peers.values()].map(peerInfo),
		peer: (idOrName) => {
			const P = peers.get(idOrName) || [...peers.values()].find((p) => p.name && p.name === idOrName);
			return P ? handle(P) : null;
		},
	});

	room.busy = () => busy.size > 0;
	room.start();
	return room;
}
