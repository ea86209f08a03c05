/*
 * code.js - transfer codes (proto/TRANSFER.md §3): generation, parsing, links; and the
 * addresses of rooms (room.js), which the page tells apart from codes.
 *
 * A code is `room-secret`: 12 base32 characters of room id (60 random bits, the only part the
 * signaling server sees) and 26 of secret (128 bits, peers only). Parsing follows §3.2 and
 * gives rtcpeer's error messages (rtcpeer/auth.c), so both say the same about a bad code. An
 * error message never repeats the secret.
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const ROOM_LEN = 12;
export const SECRET_LEN = 16;     /* bytes */
export const SECRET_CHARS = 26;
export const CODE_LEN = ROOM_LEN + 1 + SECRET_CHARS;
const LINK_MAX = 512;

/* RFC 4648 base32, lower case, no padding. */
export function base32(bytes) {
	let out = '', acc = 0, bits = 0;
	for (const b of bytes) {
		acc = (acc << 8) | b;
		bits += 8;
		while (bits >= 5) {
			out += ALPHABET[(acc >>> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= (1 << bits) - 1;
	}
	if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
	return out;
}

/* The 5-bit value of an ASCII base32 character in either case, or -1. */
function b32Value(c) {
	if (!/^[A-Za-z2-7]$/.test(c)) return -1;
	return ALPHABET.indexOf(c.toLowerCase());
}

/* A fresh code from 24 CSPRNG bytes, as rtcpeer's auth_code_generate: bytes 0..7 give the room
 * (13 base32 characters, of which the first 12 carry 60 bits), bytes 8..23 the secret. */
export function generateCode() {
	const rnd = new Uint8Array(8 + SECRET_LEN);
	crypto.getRandomValues(rnd);
	const room = base32(rnd.subarray(0, 8)).slice(0, ROOM_LEN);
	const secret = rnd.slice(8);
	const secretText = base32(secret);
	rnd.fill(0);
	return { room, secret, secretText, code: `${room}-${secretText}` };
}

export class CodeError extends Error {}

const SPACES = ' \t\n\r\v\f';
const isSpace = (c) => SPACES.includes(c);

function typoHint(c) {
	switch (c) {
	case '0': return " (codes have no 0: did you mean 'o'?)";
	case '1': return " (codes have no 1: did you mean 'l' or 'i'?)";
	case '8': return " (codes have no 8: did you mean 'b'?)";
	case '9': return " (codes have no 9: did you mean 'g'?)";
	default: return '';
	}
}

function checkB32(s, want, what) {
	const chars = Array.from(s);
	if (chars.length !== want)
		throw new CodeError(`${what} is ${chars.length} characters long; expected ${want}`);
	chars.forEach((c, i) => {
		if (b32Value(c) >= 0) return;
		const code = c.codePointAt(0);
		if (code > 0x20 && code < 0x7f)
			throw new CodeError(`${what}: character ${i + 1} ('${c}') is not one of a-z, 2-7${typoHint(c)}`);
		throw new CodeError(`${what}: character ${i + 1} is not one of a-z, 2-7`);
	});
}

function takeRoom(s, what) {
	checkB32(s, ROOM_LEN, what);
	return s.toLowerCase();
}

/* 26 characters = 130 bits; the last 2 must be zero (one spelling per key, typos caught). */
function takeSecret(s, what) {
	checkB32(s, SECRET_CHARS, what);
	const out = new Uint8Array(SECRET_LEN);
	let acc = 0, bits = 0, o = 0;
	for (const c of s) {
		acc = (acc << 5) | b32Value(c);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (acc >>> (bits - 8)) & 0xff;
			bits -= 8;
			acc &= (1 << bits) - 1;
		}
	}
	if (acc !== 0) throw new CodeError(`${what}: the last character cannot end a code (typo?)`);
	return out;
}

const hostChar = (c) => /^[A-Za-z0-9._:\[\]-]$/.test(c);

function parseLink(s) {
	let i = /^https:\/\//i.test(s) ? 8 : 7;
	const host = i;
	while (i < s.length && hostChar(s[i])) i++;
	if (i === host) throw new CodeError('link: the host name is missing');
	if (i < s.length && (s[i] === '#' || s[i] === '?')) throw new CodeError('link: the path must be /r/<room>');
	if (i < s.length && s[i] !== '/')
		throw new CodeError(`link: character ${i + 1} of the link is not allowed in a host name`);
	if (!s.startsWith('/r/', i)) throw new CodeError('link: the path must be /r/<room>');
	i += 3;
	const hash = s.indexOf('#', i);
	const room = takeRoom(s.slice(i, hash < 0 ? s.length : hash), 'link: room');
	if (hash < 0) throw new CodeError("link: the secret after '#' is missing (copy the whole link)");
	const secret = takeSecret(s.slice(hash + 1), 'link: secret');
	return { room, secret };
}

function parsePlain(s) {
	for (let i = 0; i < s.length; i++)
		if (isSpace(s[i]))
			throw new CodeError(`space at character ${i + 1}: give only the code, 12 characters, '-', 26 characters`);
	const dash = s.indexOf('-');
	if (dash < 0) {
		if (s.length === CODE_LEN - 1) throw new CodeError("the '-' between room and secret is missing");
		throw new CodeError(`a transfer code is 12 characters, '-', 26 characters (a-z, 2-7); this is ${s.length} characters without a '-'`);
	}
	const room = takeRoom(s.slice(0, dash), "room (before '-')");
	const secret = takeSecret(s.slice(dash + 1), "secret (after '-')");
	return { room, secret };
}

/*
 * Parses a code or a link (TRANSFER.md §3.2). Returns {room, secret (Uint8Array 16),
 * secretText, code}; throws CodeError with rtcpeer's wording.
 */
export function parseCode(text) {
	if (typeof text !== 'string') throw new CodeError('no transfer code given');
	if (new TextEncoder().encode(text).length > LINK_MAX) throw new CodeError('too long for a transfer code or link');
	let a = 0, b = text.length;
	while (a < b && isSpace(text[a])) a++;
	while (b > a && isSpace(text[b - 1])) b--;
	const s = text.slice(a, b);
	let r;
	if (s.length === 0) throw new CodeError('the transfer code is empty');
	else if (/^https?:\/\//i.test(s)) r = parseLink(s);
	else if (s.includes(':') || s.includes('/'))
		throw new CodeError('not a transfer code, and links must start with http:// or https://');
	else r = parsePlain(s);
	const secretText = base32(r.secret);
	return { room: r.room, secret: r.secret, secretText, code: `${r.room}-${secretText}` };
}

/* ---------------------------------------------------------------- rooms */

/*
 * A room (several peers, room.js) has a room id of PROTOCOL.md §3 and, optionally, a key: 16
 * bytes written like a code's secret, that every member proves to every other as TRANSFER.md §4
 * proves the secret. Its link is /r/<room>#key=<key>, or /r/<room> without a key; the fragment
 * forms are /#room=<room> and /#room=<room>&key=<key>.
 */
const ROOM_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const CODE_ROOM_RE = /^[A-Za-z2-7]{12}$/;

/* A fresh room: 128 random bits of room id (as PROTOCOL.md §3 asks) and a 128-bit key. */
export function generateRoom() {
	const rnd = new Uint8Array(16 + SECRET_LEN);
	crypto.getRandomValues(rnd);
	const room = base32(rnd.subarray(0, 16));
	const key = rnd.slice(16);
	rnd.fill(0);
	return { kind: 'room', room, key, keyText: base32(key) };
}

function takeRoomId(s, what) {
	if (!ROOM_ID_RE.test(s)) throw new CodeError(`${what}: a room name is 1 to 64 of A-Z, a-z, 0-9, '_' and '-'`);
	return s;
}

function roomOf(roomText, keyText) {
	const room = takeRoomId(roomText, 'room');
	if (keyText == null) return { kind: 'room', room, key: null, keyText: null };
	const key = takeSecret(keyText, 'room key');
	return { kind: 'room', room, key, keyText: base32(key) };
}

/* The browser link for a room, on this page's origin. */
export function roomLink(origin, r) {
	return `${origin}/r/${r.room}${r.key ? `#key=${r.keyText}` : ''}`;
}

/*
 * /r/<x> and its fragment: a room with a key, a code, or (no fragment) a room without a key. A
 * twelve-letter <x> without a fragment is a code link that lost its secret, not a room: joining
 * the code's room would only make its transfer fail.
 */
function pathTarget(x, frag) {
	if (frag.startsWith('key=')) return roomOf(x, frag.slice(4));
	if (!frag) {
		if (CODE_ROOM_RE.test(x)) throw new CodeError("link: the secret after '#' is missing (copy the whole link)");
		return roomOf(x, null);
	}
	const room = takeRoom(x, 'link: room');
	const secret = takeSecret(frag, 'link: secret');
	const secretText = base32(secret);
	return { kind: 'code', room, secret, secretText, code: `${room}-${secretText}` };
}

/* #room=<room>[&key=<key>], or null when the fragment is not of that form. */
function fragmentRoom(frag) {
	if (!frag.startsWith('room=')) return null;
	const p = new URLSearchParams(frag);
	const extra = [...p.keys()].filter((k) => k !== 'room' && k !== 'key');
	if (extra.length) throw new CodeError(`room address: unknown part '${extra[0].slice(0, 20)}'`);
	return roomOf(p.get('room') || '', p.has('key') ? p.get('key') : null);
}

function decode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		throw new CodeError('the address has a broken %-escape');
	}
}

/*
 * What this page's own address asks for: {kind: 'code', room, secret, secretText, code} for
 * /r/<room>#<secret> (the link rtcpeer prints) or /#<room>-<secret>; {kind: 'room', room, key,
 * keyText} for a room address; null when it asks for nothing. Throws CodeError when it holds a
 * broken code or room.
 */
export function targetFromLocation(loc) {
	const path = loc.pathname, frag = decode((loc.hash || '').replace(/^#/, ''));
	const m = /^\/r\/([^/]*)\/?$/.exec(path);
	if (m) return pathTarget(decode(m[1]), frag);
	if (frag) return fragmentRoom(frag) || { kind: 'code', ...parseCode(frag) };
	return null;
}

/* A code, a code link, or a room link typed or pasted into the page: like targetFromLocation. */
export function parseTarget(text) {
	const s = typeof text === 'string' ? text.trim() : '';
	const m = /^https?:\/\/[A-Za-z0-9._:[\]-]+\/r\/([^#?/]*)\/?(?:#(.*))?$/i.exec(s);
	if (m && (m[2] === undefined || m[2].startsWith('key='))) return pathTarget(m[1], m[2] || '');
	return { kind: 'code', ...parseCode(text) };
}

/* The browser link for a code, on this page's origin. */
export function codeLink(origin, code) {
	const [room, secretText] = [code.slice(0, ROOM_LEN), code.slice(ROOM_LEN + 1)];
	return `${origin}/r/${room}#${secretText}`;
}
