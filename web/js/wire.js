/*
 * wire.js - rtc-xfer.v1 / rtc-pipe.v1 control messages (proto/TRANSFER.md §2, §5, §6, §8, §9):
 * a strict parser, builders, the file-name check and the message-order state machine. A port
 * of proto/xfer.c, with its error texts, so both ends report the same thing.
 *
 * JSON.parse is not strict enough: it takes duplicate members, cannot tell 5 from 5.0, and
 * accepts \u0000. Control messages are at most 4096 bytes, so a small parser of our own does.
 */

export const XFER_LABEL = 'rtc-xfer.v1';
export const PIPE_LABEL = 'rtc-pipe.v1';
export const CHUNK_MAX = 65536;
export const CONTROL_MAX = 4096;
export const NAME_MAX = 255;
export const REASON_MAX = 256;
export const INT_MAX = 9007199254740991; /* 2^53-1 */

const TYPES = ['auth', 'file', 'accept', 'reject', 'end', 'verdict', 'done', 'bye', 'abort', 'eof'];
export const REJECTS = { exists: 'a file of that name already exists', 'bad-name': 'the name is not a safe base name',
	'io-error': 'the receiver cannot create the file', refused: 'the receiver refused the file' };
export const VERDICTS = { checksum: 'SHA-256 of the received bytes differs', size: 'fewer bytes than announced',
	'io-error': 'the receiver could not write the file' };

const enc = new TextEncoder();
export const utf8Length = (s) => enc.encode(s).length;

/* An error of §6: code is the wire name (too-large, bad-json, ...). */
export class WireError extends Error {
	constructor(code, message) {
		super(message);
		this.code = code;
	}
}

/* ---------------------------------------------------------------- strict JSON */

class Num {
	constructor(text) {
		this.text = text;
		this.isInt = !/[.eE]/.test(text);
		this.value = Number(text);
	}
}

function parseJson(s) {
	let i = 0;
	const bad = (what) => { throw new WireError('bad-json', `invalid JSON at offset ${i}: ${what}`); };
	const ws = () => { while (i < s.length && ' \t\n\r'.includes(s[i])) i++; };
	const value = (depth) => {
		if (depth > 32) bad('nested too deeply');
		ws();
		const c = s[i];
		if (c === '{') return object(depth);
		if (c === '[') return array(depth);
		if (c === '"') return string();
		if (c === '-' || (c >= '0' && c <= '9')) return number();
		for (const [lit, v] of [['true', true], ['false', false], ['null', null]])
			if (s.startsWith(lit, i)) { i += lit.length; return v; }
		return bad(c === undefined ? 'unexpected end of text' : 'unexpected character');
	};
	const object = (depth) => {
		const o = new Map();
		i++;
		ws();
		if (s[i] === '}') { i++; return o; }
		for (;;) {
			ws();
			if (s[i] !== '"') bad('expected a member name');
			const k = string();
			if (o.has(k)) bad('duplicate object key');
			ws();
			if (s[i] !== ':') bad("expected ':'");
			i++;
			o.set(k, value(depth + 1));
			ws();
			if (s[i] === ',') { i++; continue; }
			if (s[i] === '}') { i++; return o; }
			bad("expected ',' or '}'");
		}
	};
	const array = (depth) => {
		const a = [];
		i++;
		ws();
		if (s[i] === ']') { i++; return a; }
		for (;;) {
			a.push(value(depth + 1));
			ws();
			if (s[i] === ',') { i++; continue; }
			if (s[i] === ']') { i++; return a; }
			bad("expected ',' or ']'");
		}
	};
	const hex4 = () => {
		const h = s.substr(i, 4);
		if (!/^[0-9a-fA-F]{4}$/.test(h)) bad('invalid \\u escape');
		i += 4;
		return parseInt(h, 16);
	};
	const string = () => {
		let out = '';
		i++;
		for (;;) {
			if (i >= s.length) bad('unterminated string');
			const c = s[i++];
			if (c === '"') return out;
			const code = c.charCodeAt(0);
			if (code < 0x20) bad('control character in a string');
			if (code >= 0xd800 && code <= 0xdfff) {
				/* A lone surrogate in the text itself would be invalid UTF-8 on the wire. */
				const next = s.charCodeAt(i);
				if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) bad('invalid UTF-8');
				out += c + s[i++];
				continue;
			}
			if (c !== '\\') { out += c; continue; }
			const e = s[i++];
			const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
			if (e in simple) { out += simple[e]; continue; }
			if (e !== 'u') bad('invalid escape');
			let u = hex4();
			if (u === 0) throw new WireError('bad-json', `strings must not contain \\u0000 (offset ${i})`);
			if (u >= 0xdc00 && u <= 0xdfff) bad('invalid Unicode \\u escape');
			if (u >= 0xd800 && u <= 0xdbff) {
				if (s[i] !== '\\' || s[i + 1] !== 'u') bad('invalid Unicode \\u escape');
				i += 2;
				const lo = hex4();
				if (lo < 0xdc00 || lo > 0xdfff) bad('invalid Unicode \\u escape');
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			out += String.fromCodePoint(u);
		}
	};
	const number = () => {
		const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(s.slice(i, i + 400));
		if (!m) bad('invalid number');
		i += m[0].length;
		return new Num(m[0]);
	};
	const v = value(0);
	ws();
	if (i !== s.length) bad('end of file expected');
	return v;
}

/* ---------------------------------------------------------------- members */

const fieldErr = (msg) => new WireError('bad-field', msg);

function getString(o, key, min, max) {
	if (!o.has(key)) throw fieldErr(`${key}: required string`);
	const v = o.get(key);
	if (typeof v !== 'string') throw fieldErr(`${key}: must be a string`);
	const n = utf8Length(v);
	if (n < min || n > max) throw fieldErr(`${key}: length must be ${min}..${max} bytes`);
	return v;
}

function getUint(o, key, min) {
	if (!o.has(key)) throw fieldErr(`${key}: required integer`);
	const v = o.get(key);
	if (!(v instanceof Num) || !v.isInt) throw fieldErr(`${key}: must be an integer`);
	if (!(v.value >= min && v.value <= INT_MAX))
		throw fieldErr(`${key}: must be ${min}..${INT_MAX}`);
	return v.value;
}

function getHex32(o, key) {
	const s = getString(o, key, 0, Infinity);
	if (!/^[0-9a-f]{64}$/.test(s)) throw fieldErr(`${key}: must be 64 lower-case hex digits`);
	return s;
}

function getEnum(o, key, table, choices) {
	const s = getString(o, key, 0, Infinity);
	if (!Object.prototype.hasOwnProperty.call(table, s)) throw fieldErr(`${key}: must be one of ${choices}`);
	return s;
}

/* C0, DEL, C1: what a terminal may act on. */
const isControl = (cp) => cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);

function members(type, o) {
	const m = { type };
	switch (type) {
	case 'auth':
		m.mac = getHex32(o, 'mac');
		break;
	case 'file':
		m.id = getUint(o, 'id', 1);
		m.name = getString(o, 'name', 1, NAME_MAX);
		m.size = getUint(o, 'size', 0);
		break;
	case 'accept':
		m.id = getUint(o, 'id', 1);
		break;
	case 'reject':
		m.id = getUint(o, 'id', 1);
		m.reason = getEnum(o, 'reason', REJECTS, 'exists, bad-name, io-error, refused');
		break;
	case 'end':
		m.id = getUint(o, 'id', 1);
		m.sha256 = getHex32(o, 'sha256');
		break;
	case 'verdict': {
		m.id = getUint(o, 'id', 1);
		if (!o.has('ok')) throw fieldErr('ok: required boolean');
		const ok = o.get('ok');
		if (typeof ok !== 'boolean') throw fieldErr('ok: must be true or false');
		m.ok = ok;
		if (ok) {
			if (o.has('reason')) throw fieldErr('reason: must be absent when ok is true');
		} else {
			m.reason = getEnum(o, 'reason', VERDICTS, 'checksum, size, io-error');
		}
		break;
	}
	case 'abort': {
		m.reason = getString(o, 'reason', 1, REASON_MAX);
		let byte = 0;
		for (const ch of m.reason) {
			if (isControl(ch.codePointAt(0))) throw fieldErr(`reason: must not contain control characters (byte ${byte})`);
			byte += utf8Length(ch);
		}
		break;
	}
	default: /* done, bye, eof */
		break;
	}
	return m;
}

/*
 * Parses one text message in the order of §6: size, JSON, type, members. Returns a plain
 * object {type, ...members}; throws WireError {code, message}.
 */
export function parseControl(text) {
	const n = utf8Length(text);
	if (n > CONTROL_MAX) throw new WireError('too-large', `message is ${n} bytes, more than ${CONTROL_MAX}`);
	const root = parseJson(text);
	if (!(root instanceof Map)) throw new WireError('bad-json', 'message must be a JSON object');
	const t = root.get('type');
	if (typeof t !== 'string') throw new WireError('unknown-type', 'type: required string');
	if (!TYPES.includes(t)) throw new WireError('unknown-type', 'type: unknown message type');
	return members(t, root);
}

/* ---------------------------------------------------------------- builders */

/* Abort reason: control characters become '?', cut to 256 bytes on a character boundary. */
export function cleanReason(reason) {
	let out = '', n = 0;
	for (const ch of String(reason || '')) {
		const c = isControl(ch.codePointAt(0)) || (ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff) ? '?' : ch;
		const len = utf8Length(c);
		if (n + len > REASON_MAX) break;
		out += c;
		n += len;
	}
	return out || 'aborted';
}

export const build = {
	auth: (mac) => ({ type: 'auth', mac }),
	file: (id, name, size) => ({ type: 'file', id, name, size }),
	accept: (id) => ({ type: 'accept', id }),
	reject: (id, reason) => ({ type: 'reject', id, reason }),
	end: (id, sha256) => ({ type: 'end', id, sha256 }),
	verdict: (id, reason) => (reason ? { type: 'verdict', id, ok: false, reason } : { type: 'verdict', id, ok: true }),
	done: () => ({ type: 'done' }),
	bye: () => ({ type: 'bye' }),
	eof: () => ({ type: 'eof' }),
	abort: (reason) => ({ type: 'abort', reason: cleanReason(reason) }),
};

/* ---------------------------------------------------------------- file names (§8) */

/* A JavaScript string that has no UTF-8 form (an unpaired UTF-16 surrogate). */
function hasLoneSurrogate(s) {
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c >= 0xd800 && c <= 0xdbff) {
			const d = s.charCodeAt(i + 1);
			if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
			i++;
		} else if (c >= 0xdc00 && c <= 0xdfff) {
			return true;
		}
	}
	return false;
}

/* null when the name is acceptable, else the reason (rtcpeer's xfer_name_check wording). */
export function nameProblem(name) {
	if (typeof name !== 'string' || name.length === 0) return 'name is empty';
	if (hasLoneSurrogate(name)) return 'name is not valid UTF-8';
	if (utf8Length(name) > NAME_MAX) return `name is longer than ${NAME_MAX} bytes`;
	let byte = 0;
	for (const ch of name) {
		const cp = ch.codePointAt(0);
		if (isControl(cp))
			return `name contains control character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (byte ${byte})`;
		byte += utf8Length(ch);
	}
	if (name.includes('/')) return `name contains '/' (byte ${utf8Length(name.slice(0, name.indexOf('/')))}): only a base name is allowed`;
	if (name.includes('\\')) return `name contains '\\' (byte ${utf8Length(name.slice(0, name.indexOf('\\')))}): only a base name is allowed`;
	if (name === '.' || name === '..') return `name "${name}" is not a file name`;
	return null;
}

/* ---------------------------------------------------------------- message order (§5.3, §9) */

export const LOCAL = 0, PEER = 1;

/*
 * One per channel. Feed it every message we send (LOCAL, before sending) and every message we
 * receive (PEER, after parsing); a peer message it refuses is a protocol error. The peer's
 * auth counts only once verified. Port of proto/xfer.c's struct xfer_seq.
 */
export class Seq {
	constructor(pipe, weSend) {
		this.pipe = pipe;          /* rtc-pipe.v1, else rtc-xfer.v1 */
		this.sender = weSend;      /* files: are we the side that sends them */
		this.state = 'idle';
		this.auth = [false, false];
		this.eof = [false, false];
		this.bye = [false, false];
		this.nextId = 1;
		this.id = 0;
		this.size = 0;
		this.bytes = 0;
	}

	fail(msg) { throw new WireError('out-of-order', msg); }

	gate(from, what) {
		if (this.state === 'closed' || this.state === 'aborted') this.fail(`${what}: the session is ${this.state}`);
		if (!this.auth[from]) this.fail(`${what}: before auth (auth must be the first message)`);
		if (!this.auth[1 - from])
			this.fail(from === LOCAL ? `${what}: before the peer's auth was verified` : `${what}: before we sent our auth`);
	}

	bySender(from) { return (from === LOCAL) === this.sender; }

	expect(from, m, senderSends, want) {
		if (this.bySender(from) !== senderSends) this.fail(`${m.type}: only the ${senderSends ? 'sender' : 'receiver'} sends it`);
		if (this.state !== want) this.fail(`${m.type}: not allowed in state ${this.state} (file ${this.id})`);
		if (!['file', 'done', 'bye'].includes(m.type) && m.id !== this.id)
			this.fail(`${m.type}: id ${m.id}, but file ${this.id} is in flight`);
	}

	text(from, m) {
		if (m.type === 'abort') {
			if (this.state === 'closed' || this.state === 'aborted') this.fail(`abort: the session is ${this.state}`);
			this.state = 'aborted';
			return;
		}
		if (m.type === 'auth') {
			if (this.state === 'closed' || this.state === 'aborted') this.fail(`auth: the session is ${this.state}`);
			if (this.auth[from]) this.fail('auth: sent twice');
			this.auth[from] = true;
			return;
		}
		this.gate(from, m.type);
		if (this.pipe) return this.pipeText(from, m);
		switch (m.type) {
		case 'file':
			this.expect(from, m, true, 'idle');
			if (m.id !== this.nextId) this.fail(`file: id ${m.id}, expected ${this.nextId}`);
			this.id = m.id; this.size = m.size; this.bytes = 0; this.nextId++;
			this.state = 'offered';
			return;
		case 'accept': this.expect(from, m, false, 'offered'); this.state = 'data'; return;
		case 'reject': this.expect(from, m, false, 'offered'); this.state = 'idle'; return;
		case 'end': this.expect(from, m, true, 'data'); this.state = 'ended'; return;
		case 'verdict': this.expect(from, m, false, 'ended'); this.state = 'idle'; return;
		case 'done': this.expect(from, m, true, 'idle'); this.state = 'done'; return;
		case 'bye': this.expect(from, m, false, 'done'); this.state = 'closed'; return;
		default: this.fail(`${m.type}: not used on ${XFER_LABEL}`);
		}
	}

	pipeText(from, m) {
		if (m.type === 'bye') {
			if (!this.eof[LOCAL] || !this.eof[PEER]) this.fail('bye: before both eofs');
			if (this.bye[from]) this.fail('bye: sent twice');
			this.bye[from] = true;
			if (this.bye[LOCAL] && this.bye[PEER]) this.state = 'closed';
			return;
		}
		if (m.type !== 'eof') this.fail(`${m.type}: not used on ${PIPE_LABEL}`);
		if (this.eof[from]) this.fail('eof: sent twice');
		this.eof[from] = true;
	}

	binary(from, len) {
		this.gate(from, 'binary');
		if (len === 0 || len > CHUNK_MAX) this.fail(`binary: ${len} bytes; must be 1..${CHUNK_MAX}`);
		if (this.pipe) {
			if (this.eof[from]) this.fail('binary: after eof');
			return;
		}
		if (!this.bySender(from)) this.fail('binary: only the sender sends file data');
		if (this.state !== 'data') this.fail(`binary: not allowed in state ${this.state} (file ${this.id})`);
		if (len > this.size - this.bytes)
			this.fail(`binary: ${this.bytes + len} bytes in total, more than the size ${this.size}`);
		this.bytes += len;
	}
}
