/*
 * selftest.js - checks the page's own cryptography and parsers, in the browser (from the
 * console: `await rtcTest.selfCheck()`) or under Node (`import('./selftest.js')`).
 *
 *  - SHA-256: FIPS 180-4 vectors, and random data of awkward lengths fed in random pieces,
 *    against crypto.subtle.digest where WebCrypto exists;
 *  - HMAC-SHA256: RFC 4231 cases 1, 2 and 6 (a key longer than a block);
 *  - the authentication MAC: TRANSFER.md §4.5 (auth.js authSelfCheck);
 *  - transfer codes: the table of TRANSFER.md §3.2, and generated codes parse back;
 *  - addresses: codes and rooms (with and without a key) told apart, as main.js reads them;
 *  - control messages: the strictness that JSON.parse lacks;
 *  - the hash sink (worker or inline): digest and kept bytes of random data.
 */
import { Sha256, sha256, hmacSha256, toHex, fromHex } from './sha256.js';
import { authSelfCheck } from './auth.js';
import { generateCode, parseCode, base32, targetFromLocation, parseTarget, generateRoom, roomLink } from './code.js';
import { parseControl, nameProblem, Seq, LOCAL, PEER } from './wire.js';
import { newSink, usingWorker } from './hashsink.js';
import { Pipe } from './pipe.js';
import { FileReceiver, PAGE_FILE_MAX } from './xfer.js';

function rand(n) {
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
	return out;
}

async function shaChecks(checks) {
	const vec = [
		['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
		['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
		['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
		['hello', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
	];
	for (const [text, want] of vec) {
		const got = toHex(sha256(text));
		checks.push({ name: `sha256(${JSON.stringify(text.length > 8 ? text.slice(0, 8) + '…' : text)})`, ok: got === want, got, want });
	}
	const million = new Sha256();
	const a = new Uint8Array(1000).fill(0x61);
	for (let i = 0; i < 1000; i++) million.update(a);
	const m = toHex(million.digest());
	checks.push({ name: 'sha256(a × 1e6) in 1000 pieces', ok: m === 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0', got: m });

	const subtle = globalThis.crypto && crypto.subtle;
	const sizes = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65535, 65536, 65537, 1048576 + 13, 3 * 1048576 + 7];
	for (const n of sizes) {
		const data = rand(n);
		const h = new Sha256();
		let off = 0;
		while (off < n) { /* random piece sizes, including 0 and block-straddling ones */
			const take = Math.min(n - off, Math.floor(Math.random() * (Math.random() < 0.5 ? 70 : 200000)));
			h.update(data.subarray(off, off + take));
			off += take;
		}
		const got = toHex(h.digest());
		const oneShot = toHex(sha256(data));
		let want = oneShot, ref = 'one-shot';
		if (subtle) { want = toHex(new Uint8Array(await subtle.digest('SHA-256', data))); ref = 'WebCrypto'; }
		checks.push({ name: `sha256 of ${n} random bytes in pieces = ${ref}`, ok: got === want && oneShot === want, got, want });
	}
}

function hmacChecks(checks) {
	const hex = (s) => fromHex(s);
	const cases = [
		['rfc4231 1', hex('0b'.repeat(20)), new TextEncoder().encode('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
		['rfc4231 2', new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
		['rfc4231 6', hex('aa'.repeat(131)), new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
	];
	for (const [name, key, msg, want] of cases) {
		const got = toHex(hmacSha256(key, msg));
		checks.push({ name: `hmac ${name}`, ok: got === want, got, want });
	}
}

function codeChecks(checks) {
	const secret = '000102030405060708090a0b0c0d0e0f';
	const good = [
		'  K2FZQ7WD3XHA-AAAQEAYEAUDAOCAJBIFQYDIOB4\n',
		'https://rtc.example.org:8443/r/k2fzq7wd3xha#aaaqeayeaudaocajbifqydiob4',
		'k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4',
	];
	for (const t of good) {
		let ok = false, got;
		try {
			const c = parseCode(t);
			got = `${c.room} ${toHex(c.secret)}`;
			ok = c.room === 'k2fzq7wd3xha' && toHex(c.secret) === secret && c.code === 'k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4';
		} catch (e) { got = e.message; }
		checks.push({ name: `code parses: ${JSON.stringify(t)}`, ok, got });
	}
	const bad = [
		['k2fzq7wd3xha', "a transfer code is 12 characters, '-', 26 characters (a-z, 2-7); this is 12 characters without a '-'"],
		['k2fzq7wd3xh0-aaaqeayeaudaocajbifqydiob4', "room (before '-'): character 12 ('0') is not one of a-z, 2-7 (codes have no 0: did you mean 'o'?)"],
		['k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob5', "secret (after '-'): the last character cannot end a code (typo?)"],
		['https://rtc.example.org/r/k2fzq7wd3xha', "link: the secret after '#' is missing (copy the whole link)"],
		['rtcpeer recv k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4', "space at character 8: give only the code, 12 characters, '-', 26 characters"],
	];
	for (const [t, want] of bad) {
		let got = 'accepted';
		try { parseCode(t); } catch (e) { got = e.message; }
		checks.push({ name: `code refused: ${t}`, ok: got === want, got, want });
	}
	for (let i = 0; i < 50; i++) {
		const g = generateCode();
		let ok = /^[a-z2-7]{12}-[a-z2-7]{25}[aeimquy4]$/.test(g.code);
		try {
			const p = parseCode(g.code);
			ok = ok && p.room === g.room && toHex(p.secret) === toHex(g.secret);
		} catch { ok = false; }
		if (!ok || i === 49) { checks.push({ name: 'generated codes parse back', ok, got: g.code.slice(0, 13) }); if (!ok) break; }
	}
	checks.push({ name: 'base32 of 00..0f', ok: base32(fromHex(secret)) === 'aaaqeayeaudaocajbifqydiob4' });
	addressChecks(checks, secret);
}

/* What an address asks for: [pathname, hash] → "code <room> <secret hex>", "room <room> <key
 * hex | ->", "none", or the error message. */
function addressChecks(checks, secret) {
	const show = (t) => (!t ? 'none' : t.kind === 'code' ? `code ${t.room} ${toHex(t.secret)}`
		: `room ${t.room} ${t.key ? toHex(t.key) : '-'}`);
	const cases = [
		[['/r/k2fzq7wd3xha', '#aaaqeayeaudaocajbifqydiob4'], `code k2fzq7wd3xha ${secret}`],
		[['/', '#k2fzq7wd3xha-aaaqeayeaudaocajbifqydiob4'], `code k2fzq7wd3xha ${secret}`],
		[['/r/team-room_1', ''], 'room team-room_1 -'],
		[['/r/team-room_1', '#key=aaaqeayeaudaocajbifqydiob4'], `room team-room_1 ${secret}`],
		[['/', '#room=team&key=aaaqeayeaudaocajbifqydiob4'], `room team ${secret}`],
		[['/', '#room=team'], 'room team -'],
		[['/', ''], 'none'],
		[['/r/k2fzq7wd3xha', ''], "link: the secret after '#' is missing (copy the whole link)"],
		[['/r/team', '#key=aaaqeayeaudaocajbifqydiob5'], 'room key: the last character cannot end a code (typo?)'],
		[['/r/a.b', ''], "room: a room name is 1 to 64 of A-Z, a-z, 0-9, '_' and '-'"],
		[['/', '#room=team&x=1'], "room address: unknown part 'x'"],
	];
	for (const [[pathname, hash], want] of cases) {
		let got;
		try { got = show(targetFromLocation({ pathname, hash })); } catch (e) { got = e.message; }
		checks.push({ name: `address ${pathname}${hash}`, ok: got === want, got, want });
	}
	const typed = [
		['https://rtc.example.org/r/team-room#key=aaaqeayeaudaocajbifqydiob4', `room team-room ${secret}`],
		['https://rtc.example.org/r/team-room', 'room team-room -'],
		['https://rtc.example.org/r/k2fzq7wd3xha#aaaqeayeaudaocajbifqydiob4', `code k2fzq7wd3xha ${secret}`],
	];
	for (const [t, want] of typed) {
		let got;
		try { got = show(parseTarget(t)); } catch (e) { got = e.message; }
		checks.push({ name: `typed ${t}`, ok: got === want, got, want });
	}
	const r = generateRoom(), link = roomLink('https://h', r);
	let back;
	try { back = show(parseTarget(link)); } catch (e) { back = e.message; }
	checks.push({ name: 'a new room\'s link parses back', ok: /^[a-z2-7]{26}$/.test(r.room) && back === `room ${r.room} ${toHex(r.key)}`, got: back });
}

function wireChecks(checks) {
	const refuse = (text, code) => {
		let got = 'accepted';
		try { parseControl(text); } catch (e) { got = e.code; }
		checks.push({ name: `control refused (${code}): ${text.slice(0, 40)}`, ok: got === code, got });
	};
	refuse('{"type":"accept","id":1,"id":2}', 'bad-json');
	refuse('{"type":"accept","id":5.0}', 'bad-field');
	refuse('{"type":"accept","id":5e0}', 'bad-field');
	refuse('{"type":"abort","reason":"a\\u0000b"}', 'bad-json');
	refuse('{"type":"done"} x', 'bad-json');
	refuse('[1]', 'bad-json');
	refuse('{"type":"nope"}', 'unknown-type');
	refuse('{"type":"file","id":1,"name":"","size":1}', 'bad-field');
	refuse('{"type":"verdict","id":1,"ok":true,"reason":"size"}', 'bad-field');
	refuse('{"type":"abort","reason":"\\u001b[2J"}', 'bad-field');
	refuse(`{"type":"abort","reason":"${'x'.repeat(4100)}"}`, 'too-large');
	let ok;
	try {
		const m = parseControl('{"type":"file","id":1,"name":"Urlaub 2024 \\ud83c\\udfd6.jpg","size":2500000,"extra":[1,{"a":null}]}');
		ok = m.name === 'Urlaub 2024 🏖.jpg' && m.size === 2500000 && m.id === 1;
	} catch { ok = false; }
	checks.push({ name: 'control parses (escaped emoji, unknown members)', ok });
	for (const [n, want] of [['a.txt', null], ['..', 'x'], ['.', 'x'], ['a/b', 'x'], ['x\\y', 'x'], ['a\nb', 'x'], ['a\u0085b', 'x'], ['-rf', null], ['notes.', null], ['a'.repeat(256), 'x']])
		checks.push({ name: `name ${JSON.stringify(n.slice(0, 12))} ${want ? 'refused' : 'accepted'}`, ok: (nameProblem(n) === null) === (want === null) });
	const seq = new Seq(false, false); /* receiver */
	let order = true;
	try {
		seq.text(LOCAL, { type: 'auth' }); seq.text(PEER, { type: 'auth' });
		seq.text(PEER, { type: 'file', id: 1, size: 10 });
		try { seq.binary(PEER, 10); order = false; } catch { /* before accept: refused */ }
		seq.text(LOCAL, { type: 'accept', id: 1 });
		seq.binary(PEER, 10);
		try { seq.binary(PEER, 1); order = false; } catch { /* past size: refused */ }
	} catch { order = false; }
	checks.push({ name: 'message order (data before accept, past size)', ok: order });
}

async function sinkChecks(checks) {
	const data = rand(3 * 65536 + 13);
	const want = toHex(sha256(data));
	const sink = newSink({ keep: true });
	for (let off = 0; off < data.length; off += 65536) sink.update(data.slice(off, off + 65536).buffer);
	const { digest, blob } = await sink.finish();
	let same = !!blob && blob.size === data.length;
	if (same) {
		const back = new Uint8Array(await blob.arrayBuffer());
		same = back.every((b, i) => b === data[i]);
	}
	checks.push({ name: `hash sink (${usingWorker() ? 'worker' : 'inline'}): digest and kept bytes`, ok: digest === want && same, got: digest, want });
}

/* What a peer controls stays bounded: a line that never ends is cut, a file too large for the
 * page is refused. The session is a stand-in that records what the parts emit and send. */
function boundChecks(checks) {
	const events = [], sent = [];
	const session = { emit: (type, detail) => events.push([type, detail]), sendControl: (m) => sent.push(m),
		setPhase: () => {} };
	const pipe = new Pipe(session);
	for (let i = 0; i < 40; i++) pipe.take('x'.repeat(4096)); /* 160 KiB, no newline */
	const lines = events.filter(([t]) => t === 'text-received').map(([, d]) => d);
	checks.push({ name: 'a received line without end is cut at 64 Ki characters',
		ok: lines.length === 2 && lines.every((l) => l.partial && l.text.length <= 65536 + 4096) &&
			pipe.partial.length < 65536, got: lines.map((l) => l.text.length).join(',') });
	const recv = new FileReceiver(session);
	recv.onControl({ type: 'file', id: 1, name: 'big.bin', size: PAGE_FILE_MAX + 1 });
	const m = sent[sent.length - 1];
	checks.push({ name: 'a file larger than the page keeps is refused',
		ok: !!m && m.type === 'reject' && m.reason === 'refused' && recv.cur === null, got: JSON.stringify(m) });
}

/* Resolves {ok, checks: [{name, ok, got?, want?}], failed: [...]}. */
export async function selfCheck() {
	const checks = [];
	await shaChecks(checks);
	hmacChecks(checks);
	const a = await authSelfCheck();
	checks.push(...a.checks.map((c) => ({ ...c, name: `auth: ${c.name}` })));
	codeChecks(checks);
	wireChecks(checks);
	await sinkChecks(checks);
	boundChecks(checks);
	const failed = checks.filter((c) => !c.ok);
	return { ok: failed.length === 0, webcrypto: !!(globalThis.crypto && crypto.subtle), count: checks.length, failed, checks };
}
