/*
 * main.js - entry point: reads the address (/, /r/<room>#<secret>, /#<room>-<secret> for a
 * code; /r/<room>[#key=<key>], /#room=<room>[&key=<key>] for a room of several peers), runs one
 * code Session (or hands a room to roomapp.js, which extends rtcTest, see there), connects it to
 * the UI, and exposes window.rtcTest for automated tests:
 *
 *   rtcTest.state()          phase: home | signaling | waiting | connecting | authenticating |
 *                            ready | sending | receiving | piping | finishing | done | failed
 *   rtcTest.info()           {phase, maker, mode, role, label, room, code, error, path, ...}
 *   rtcTest.events           [{type, t (ms since load), ...}] every session event, in order
 *   rtcTest.received         [{name, size, sha256 (hex), url (blob: URL), blob}] verified files
 *   rtcTest.texts            [string] lines received on the pipe (without "\n")
 *   rtcTest.sendFiles(files, {checkNames})  queue File objects and send them; resolves with
 *                            per-file results [{name, size, ok, reason, sha256?}] once the
 *                            receiver said bye. checkNames false offers names the page would
 *                            refuse (TRANSFER.md §8), as a hostile sender would: for tests of
 *                            the receiving side only
 *   rtcTest.sendText(str)    send str as is on the pipe (add "\n" for a line); false if closed
 *   rtcTest.endText()        send eof on the pipe (the session ends after both byes)
 *   rtcTest.create(mode)     make a code as the UI buttons do ('send' | 'pipe'); resolves with
 *                            it once this page waits in the room (use it only then)
 *   rtcTest.join(code)       use a code or link (or a room link) as the form does
 *   rtcTest.createRoom()     make a room with a key as the "New room" button does; resolves
 *                            with its link once this page is in it
 *   rtcTest.selfCheck()      SHA-256/HMAC/code self-test (selftest.js); resolves {ok, checks}
 */
import { generateCode, parseTarget, targetFromLocation, codeLink, generateRoom, roomLink, CodeError } from './code.js';
import { Session } from './session.js';
import { startRoom } from './roomapp.js';
import { defaultServerUrl } from './signal.js';
import { FileSender, FileReceiver } from './xfer.js';
import { Pipe } from './pipe.js';
import { XFER_LABEL, PIPE_LABEL, nameProblem } from './wire.js';
import { UI, formatBytes, keepLine } from './ui.js';
import { selfCheck } from './selftest.js';
import { authSelfCheck } from './auth.js';
import { warmUp, usingWorker } from './hashsink.js';

const t0 = performance.now();
const params = new URLSearchParams(location.search);
const serverUrl = params.get('server') || defaultServerUrl(location);
const token = params.get('token') || undefined;

const S = {
	session: null,
	mesh: null,          /* a Room (room.js, several peers) instead of a session */
	maker: false,
	mode: null,          /* maker: 'send' | 'pipe'; joiner: from the channel */
	code: null,
	room: null,
	error: null,
	pendingFiles: [],    /* [File, checkNames] picked before the session is ready */
	skipped: [],         /* files whose names cannot be sent */
	sendWanted: false,
	sender: null,
	pipe: null,
	batch: [],           /* resolvers of sendFiles() calls */
	inRoom: [],          /* [resolve, reject] of create() calls, until we are in the room */
	share: null,         /* [link, command] of the code we made */
};

const test = {
	events: [],
	received: [],
	texts: [],
	state: () => (S.session ? S.session.phase : 'home'),
	info: () => ({
		phase: test.state(), maker: S.maker, mode: S.mode, room: S.room, code: S.maker ? S.code : null,
		role: S.session && S.session.role, label: S.session && S.session.label,
		authenticated: !!(S.session && S.session.authenticated), error: S.error,
		path: S.session && S.session.path ? S.session.path.text : null, server: serverUrl,
		webcrypto: !!(globalThis.crypto && crypto.subtle), hashWorker: usingWorker(),
	}),
	sendFiles: (files, opts) => sendFiles([...files], opts),
	sendText: (str) => pipeSend(String(str), false),
	endText: () => pipeEnd(),
	create: (mode) => make(mode),
	join: (code) => join(code),
	createRoom: () => makeRoom(),
	selfCheck,
	authSelfCheck,
};
window.rtcTest = test;

const ui = new UI({
	make: (mode) => {
		if (mode === 'room') makeRoom();
		else make(mode).catch(() => { /* shown by onError */ });
	},
	join: (text) => join(text),
	files: (files) => addFiles(files),
	sendGo: () => sendGo(),
	pipeSend: (text) => pipeSend(text, true),
	pipeEnd: () => pipeEnd(),
});

/* ---------------------------------------------------------------- events */

const PHASE_TEXT = {
	signaling: 'Connecting to the signaling server…',
	waiting: 'Waiting for the other side to use the code…',
	connecting: 'The peer is here. Connecting directly…',
	authenticating: 'Connected. Checking that the peer knows the code…',
	ready: 'Authenticated.',
	sending: 'Sending…',
	receiving: 'Connected and authenticated. Waiting for files…',
	piping: 'Connected and authenticated. Type below.',
	finishing: 'Finishing…',
};

/* rtcTest.events, for tests and the console: bounded, and a text chunk is recorded by its
 * length, since the peer chooses how much text it streams (rtcTest.texts keeps the lines). */
const EVENTS_MAX = 20000;

function record(type, detail) {
	const d = type === 'text-chunk' ? { chars: detail.text.length } : strip(detail);
	test.events.push({ ...d, type, t: Math.round(performance.now() - t0) });
	if (test.events.length > EVENTS_MAX) test.events.splice(0, EVENTS_MAX / 2);
}

function emit(type, detail = {}) {
	record(type, detail);
	switch (type) {
	case 'phase':
		ui.step(detail.phase);
		if (detail.phase === 'waiting' && S.maker) {
			ui.showShare(...S.share);
			for (const [resolve] of S.inRoom.splice(0)) resolve(S.code);
		} else if (detail.phase === 'failed') {
			for (const [, reject] of S.inRoom.splice(0)) reject(new Error(detail.message));
		}
		if (PHASE_TEXT[detail.phase]) ui.status(PHASE_TEXT[detail.phase]);
		if (detail.phase === 'sending' && S.mode === 'send') ui.sendButton(false, 'Sending…');
		break;
	case 'signal-open': ui.log(`signaling server ${detail.url}`); break;
	case 'joined':
		ui.log(`joined room ${detail.room} as ${detail.peer}; ${detail.peers} other peer(s); ${detail.iceServers} ICE server(s)`);
		break;
	case 'peer-joined': ui.log(`peer ${detail.peer} joined`); break;
	case 'peer-left': ui.log(`peer ${detail.peer} left`); break;
	case 'offer-sent': ui.log('sent the offer'); break;
	case 'answer-sent': ui.log('sent the answer'); break;
	case 'connection-state': ui.log(`connection ${detail.state}`); break;
	case 'connected': ui.log(`connected: ${detail.path || 'path unknown'}`); break;
	case 'channel': ui.log(`data channel ${detail.label} (opened by ${detail.opened === 'us' ? 'us' : 'the peer'})`); break;
	case 'authenticated': onAuthenticated(detail); break;
	case 'log': ui.log(detail.text); break;
	case 'file-queued': break;
	case 'file-skipped': ui.log(`${detail.name}: ${detail.message}`); break;
	case 'file-offered': ui.bindSend(detail.id, detail.name, detail.size); ui.fileState(`send:${detail.id}`, 'offered, waiting for the receiver'); break;
	case 'file-progress':
		ui.progress(`${detail.dir}:${detail.id}`, detail);
		if (detail.dir === 'send' && !detail.complete) ui.fileState(`send:${detail.id}`, 'sending');
		if (detail.dir === 'send' && detail.complete) ui.fileState(`send:${detail.id}`, 'sent, waiting for the verdict');
		break;
	case 'file-sent':
		ui.fileState(`send:${detail.id}`, detail.ok ? `delivered, verified by the receiver (SHA-256 ${detail.sha256.slice(0, 16)}…)` : detail.message, detail.ok ? 'ok' : 'bad');
		ui.log(`${detail.name}: ${detail.message}`);
		break;
	case 'file-incoming':
		ui.incoming(detail.id, detail.name, detail.size);
		ui.status(`Receiving ${detail.name}…`);
		ui.log(`receiving ${detail.name} (${detail.size} bytes)`);
		break;
	case 'file-rejected': ui.rejectedIncoming(detail.id, detail.name, detail.message); ui.log(`refused a file: ${detail.message}`); break;
	case 'file-received':
		ui.status(`Received ${detail.name}, verified. Waiting for more files…`);
		test.received.push({ name: detail.name, size: detail.size, sha256: detail.sha256, url: detail.url, blob: detail.blob });
		ui.received(detail);
		ui.log(`received ${detail.name} (${detail.size} bytes), verified`);
		break;
	case 'file-failed': ui.fileState(`recv:${detail.id}`, detail.message, 'bad'); ui.log(detail.message); break;
	case 'text-chunk': ui.pipeAppend('peer', detail.text); break;
	case 'text-received': keepLine(test.texts, detail.text); break;
	case 'text-sent': break;
	case 'eof-sent':
		ui.pipeAppend('sys', '— you ended your input —');
		ui.pipeEnable(false, false);
		ui.pipeNote(S.pipe && S.pipe.peerEof ? '' : 'Waiting for the peer to end its input…');
		break;
	case 'eof-received':
		ui.pipeAppend('sys', '— the peer ended its input —');
		ui.pipeNote(S.pipe && S.pipe.sentEof ? '' : 'The peer has finished. Press End when you are done too.');
		break;
	case 'done': onDone(); break;
	case 'error': onError(detail); break;
	default: break;
	}
}

/* Events keep plain data only (no Blob objects in the log). */
function strip(d) {
	const o = {};
	for (const [k, v] of Object.entries(d)) if (!(v instanceof Blob)) o[k] = v;
	return o;
}

function onAuthenticated(d) {
	ui.log(`peer authenticated (we are the ${d.role})`);
	ui.hideShare();
	if (d.label === XFER_LABEL) {
		if (S.maker) {
			S.mode = 'send';
			ui.title('Sending files');
			if (!S.sendWanted) ui.status('Connected and authenticated. Choose files and press Send.');
			refreshSendButton();
		} else {
			S.mode = 'receive';
			ui.title('Receiving files');
			ui.showRecvPanel();
		}
	} else if (d.label === PIPE_LABEL) {
		S.mode = 'pipe';
		ui.title('Text / pipe');
		ui.showPipePanel();
		ui.pipeEnable(true, true);
		ui.pipeFocus();
	}
}

function onDone() {
	const s = S.session;
	let text = 'Done.';
	if (S.sender) {
		const r = results(), ok = r.filter((x) => x.ok).length;
		text = `Done: ${ok} of ${r.length} file${r.length === 1 ? '' : 's'} delivered and verified.`;
	} else if (S.mode === 'receive') {
		const n = test.received.length, bytes = test.received.reduce((a, r) => a + r.size, 0);
		text = `Done: received ${n} file${n === 1 ? '' : 's'} (${formatBytes(bytes)}), all verified.`;
	} else if (S.mode === 'pipe') {
		text = 'Done: both sides ended their input.';
	}
	if (s && s.path) text += ` Path: ${s.path.text}.`;
	ui.status('');
	ui.sendClosed();
	ui.done(text);
	ui.pipeEnable(false, false);
	ui.pipeNote('');
	settleBatches();
}

/* Which of the four steps an error code belongs to. */
const STEP_OF_ERROR = {
	signaling: 'signal', unauthorized: 'signal', 'no-peer': 'peer', 'room-full': 'peer', 'room-taken': 'peer',
	'peer-left': 'peer', ice: 'connect', dtls: 'connect', channel: 'connect', auth: 'auth', timeout: 'auth',
};

function onError(d) {
	S.error = { code: d.code, message: d.message };
	ui.status('');
	ui.title(S.session && S.session.authenticated ? 'Transfer failed' : 'Could not connect');
	ui.error(capitalize(d.message), STEP_OF_ERROR[d.code]);
	ui.sendClosed();
	ui.log(`error (${d.code}): ${d.message}`);
	settleBatches();
}

const capitalize = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/* ---------------------------------------------------------------- starting */

/* The application for the session's channel (channel.js) once it has authenticated. */
function makeApp(label, ch) {
	if (label === XFER_LABEL && S.maker) {
		S.sender = new FileSender(ch);
		for (const [f, checkNames] of S.pendingFiles.splice(0)) S.sender.add([f], { checkNames });
		if (S.sendWanted) S.sender.go();
		return S.sender;
	}
	if (label === XFER_LABEL) return new FileReceiver(ch);
	S.pipe = new Pipe(ch);
	return S.pipe;
}

function startSession({ room, secret, maker, mode }) {
	if (S.session || S.mesh) throw new Error('a session is already running; reload the page for another');
	S.maker = maker;
	S.mode = mode;
	S.room = room;
	S.session = new Session({ room, secret, maker, mode, serverUrl, token }, emit, makeApp);
	S.session.start();
}

function make(mode) {
	if (mode !== 'send' && mode !== 'pipe') throw new Error("mode must be 'send' or 'pipe'");
	const c = generateCode();
	S.code = c.code;
	S.share = [codeLink(location.origin, c.code), `rtcpeer ${mode === 'send' ? 'recv' : 'pipe'} ${c.code}`];
	ui.showSession(mode === 'send' ? 'Send files' : 'Text / pipe');
	if (mode === 'send') {
		ui.showSendPanel();
		refreshSendButton();
	} else {
		ui.showPipePanel();
		ui.pipeNote('The text box opens once the other side has connected.');
	}
	startSession({ room: c.room, secret: c.secret, maker: true, mode });
	/* The code is shown (and this resolves) once we are in the room, as rtcpeer does: a peer
	 * that came earlier would find nobody waiting. */
	return new Promise((resolve, reject) => S.inRoom.push([resolve, reject]));
}

function join(text) {
	let c;
	try {
		c = parseTarget(text);
	} catch (e) {
		if (!(e instanceof CodeError)) throw e;
		ui.codeError(capitalize(e.message));
		return null;
	}
	if (c.kind === 'room') {
		roomAddress(c);
		openRoom(c);
	} else {
		openJoin(c);
	}
	return c.room;
}

/* ---------------------------------------------------------------- rooms */

/* A new room with a key, as the "New room" button makes it. Resolves with its link once in it. */
function makeRoom() {
	const r = generateRoom();
	roomAddress(r);
	openRoom(r);
	return new Promise((resolve, reject) => {
		const poll = setInterval(() => {
			const st = S.mesh.phase;
			if (st === 'room') { clearInterval(poll); resolve(roomLink(location.origin, r)); }
			if (st === 'failed') { clearInterval(poll); reject(new Error(S.mesh.error.message)); }
		}, 50);
	});
}

/* The room's address in the address bar. Its key stays there, unlike a code's secret (which
 * works once anyway): reloading the page rejoins the room, and the link is the invitation. */
function roomAddress(r) {
	history.replaceState(null, '', `/r/${r.room}${location.search}${r.key ? `#key=${r.keyText}` : ''}`);
}

function openRoom(target) {
	if (S.session || S.mesh) throw new Error('a session is already running; reload the page for another');
	S.mesh = startRoom(target, { serverUrl, token, name: params.get('name') || '', test, record });
}

function openJoin(c) {
	S.code = c.code;
	ui.showSession('Connecting');
	ui.status('');
	startSession({ room: c.room, secret: c.secret, maker: false, mode: null });
}

/* ---------------------------------------------------------------- files */

/* Files picked, dropped or given to sendFiles(): names the receiver would refuse (§8) are
 * shown as not sent and never offered; the rest wait for the session, then go one by one. */
function addFiles(files, { checkNames = true } = {}) {
	if (!files.length || (S.session && S.session.finished)) return;
	if (S.sender && S.sender.closed) return; /* batch over */
	const ok = [];
	for (const f of files) {
		const li = ui.queued(f.name, f.size);
		const problem = checkNames ? nameProblem(f.name) : null;
		if (problem) {
			ui.out.skipped(li, `not sent: ${problem}`);
			S.skipped.push({ name: f.name, size: f.size, ok: false, reason: 'bad-name', message: `not sent: ${problem}` });
			continue;
		}
		ok.push(f);
	}
	if (S.sender) S.sender.add(ok, { checkNames });
	else S.pendingFiles.push(...ok.map((f) => [f, checkNames]));
	refreshSendButton();
}

function refreshSendButton() {
	const n = S.sender ? S.sender.queue.length : S.pendingFiles.length;
	const ready = !!(S.session && S.session.authenticated);
	if (S.sendWanted) {
		ui.sendButton(false, ready ? 'Sending…' : 'Will send when the receiver connects');
		return;
	}
	ui.sendButton(n > 0, n === 0 ? 'Send' : `Send ${n} file${n === 1 ? '' : 's'}${ready ? '' : ' when connected'}`);
}

function sendGo() {
	if (S.sendWanted) return;
	S.sendWanted = true;
	if (S.sender) S.sender.go();
	refreshSendButton();
}

function results() {
	return [...S.skipped, ...(S.sender ? S.sender.results : [])];
}

function settleBatches() {
	const r = results();
	for (const resolve of S.batch.splice(0)) resolve(r);
}

/* Test hook: queue, send, and resolve when the receiver said bye (or the session ended). */
function sendFiles(files, opts) {
	if (!S.maker || S.mode !== 'send') return Promise.reject(new Error('this page is not the sender: make a code with create("send")'));
	if (S.session && S.session.finished) return Promise.resolve(results());
	const p = new Promise((resolve) => S.batch.push(resolve));
	addFiles(files, opts);
	sendGo();
	return p;
}

/* ---------------------------------------------------------------- pipe */

function pipeSend(text, line) {
	if (!S.pipe) return false;
	const data = line ? `${text}\n` : text;
	if (!S.pipe.send(data)) return false;
	ui.pipeAppend('me', line ? text : data);
	return true;
}

function pipeEnd() {
	if (!S.pipe) return false;
	S.pipe.end();
	return true;
}

/* ---------------------------------------------------------------- boot */

function boot() {
	if (typeof RTCPeerConnection === 'undefined') {
		ui.unsupported('This browser has no WebRTC (RTCPeerConnection), so it cannot connect to a peer.');
		return;
	}
	warmUp();
	let host = null;
	try { host = new URL(serverUrl, location.href).host; } catch { /* SignalClient says it is bad */ }
	if (host !== location.host) ui.foreignServer(serverUrl);
	window.addEventListener('beforeunload', (ev) => {
		const s = S.session;
		if ((s && !s.finished && ['sending', 'receiving', 'piping', 'finishing'].includes(s.phase)) || (S.mesh && S.mesh.busy())) {
			ev.preventDefault();
			ev.returnValue = '';
		}
	});
	window.addEventListener('pagehide', () => {
		const s = S.session;
		if (s && !s.finished) s.abort('the browser page was closed', 'closed');
		if (S.mesh) S.mesh.leave();
	});
	let c = null;
	try {
		c = targetFromLocation(location);
	} catch (e) {
		if (!(e instanceof CodeError)) throw e;
		ui.showHome(`The address holds a broken code: ${e.message}`);
		return;
	}
	if (!c) {
		ui.showHome();
		return;
	}
	if (c.kind === 'room') {
		openRoom(c);
		return;
	}
	/* Keep the secret out of the address bar and history once read (TRANSFER.md §11). */
	history.replaceState(null, '', (location.pathname.startsWith('/r/') ? '/' : location.pathname) + location.search);
	openJoin(c);
}

boot();
