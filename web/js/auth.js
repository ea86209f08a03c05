/*
 * auth.js - the end-to-end authentication of TRANSFER.md §4.
 *
 *   mac = HMAC-SHA256(secret, "rtcpeer-auth-v1" 0x00 role 0x00 offerer_fp answerer_fp)
 *
 * role names the side that SENDS the mac; the fingerprints are the raw 32 bytes of each side's
 * `a=fingerprint:sha-256`, the offerer's first. WebCrypto does the HMAC where it exists (secure
 * contexts); elsewhere (plain http:// on a LAN address) sha256.js does. Both are checked
 * against the §4.5 test vector by authSelfCheck().
 */
import { hmacSha256, toHex, fromHex, ctEqual } from './sha256.js';

const CONTEXT = 'rtcpeer-auth-v1';
export const ROLE_OFFERER = 'offerer';
export const ROLE_ANSWERER = 'answerer';

/*
 * The SHA-256 fingerprint in an SDP (RFC 8122 §5), as 32 bytes. Any `a=fingerprint` line with
 * hash function sha-256 (session or media level, either case) counts; several must agree.
 * Throws when there is none, and when any fingerprint line uses another hash function: Firefox
 * accepts a certificate that matches any one of the lines, so a server that adds a sha-512
 * line for its own certificate beside the real sha-256 one would sit in the middle of DTLS
 * while the mac, taken over the sha-256 lines, still verifies (TRANSFER.md §4.1).
 */
export function sdpFingerprint(sdp) {
	let found = null;
	for (const raw of String(sdp).split(/\r?\n/)) {
		if (!/^a=fingerprint:/i.test(raw)) continue;
		const m = /^a=fingerprint:\s*(\S+)\s+([0-9A-Fa-f:]+)\s*$/i.exec(raw);
		if (!m || m[1].toLowerCase() !== 'sha-256')
			throw new Error('the SDP has a fingerprint other than sha-256: refused');
		const bytes = fromHex(m[2].replace(/:/g, ''));
		if (!bytes || bytes.length !== 32) throw new Error('malformed sha-256 fingerprint in the SDP');
		if (found && !ctEqual(found, bytes)) throw new Error('the SDP has two different sha-256 fingerprints');
		found = bytes;
	}
	if (!found) throw new Error('the SDP has no sha-256 fingerprint');
	return found;
}

function macInput(role, offererFp, answererFp) {
	if (role !== ROLE_OFFERER && role !== ROLE_ANSWERER) throw new Error('auth: bad role');
	if (offererFp.length !== 32 || answererFp.length !== 32) throw new Error('auth: fingerprints are 32 bytes');
	const head = new TextEncoder().encode(`${CONTEXT}\0${role}\0`);
	const msg = new Uint8Array(head.length + 64);
	msg.set(head, 0);
	msg.set(offererFp, head.length);
	msg.set(answererFp, head.length + 32);
	return msg;
}

const subtle = () => (globalThis.crypto && globalThis.crypto.subtle) || null;

/* HMAC-SHA256 with WebCrypto if available (and not disabled), else in JavaScript. */
async function hmac(key, msg, { js = false } = {}) {
	const s = subtle();
	if (!js && s) {
		const k = await s.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
		return new Uint8Array(await s.sign('HMAC', k, msg));
	}
	return hmacSha256(key, msg);
}

/* The mac that `role` sends. Resolves to 32 bytes. */
export async function computeMac(secret, role, offererFp, answererFp, opts) {
	return hmac(secret, macInput(role, offererFp, answererFp), opts);
}

/* Our own mac: we offered or answered, our fingerprint and the peer's. */
export async function localMac(secret, weOffered, localFp, remoteFp) {
	return weOffered ? computeMac(secret, ROLE_OFFERER, localFp, remoteFp)
		: computeMac(secret, ROLE_ANSWERER, remoteFp, localFp);
}

/* Checks the peer's mac (hex text) against the value for the peer's role, in constant time. */
export async function verifyPeerMac(secret, weOffered, localFp, remoteFp, peerMacHex) {
	const got = fromHex(peerMacHex || '');
	const want = weOffered ? await computeMac(secret, ROLE_ANSWERER, localFp, remoteFp)
		: await computeMac(secret, ROLE_OFFERER, remoteFp, localFp);
	return !!got && ctEqual(want, got);
}

export { toHex };

/* TRANSFER.md §4.5. */
export const TEST_VECTOR = {
	secret: '000102030405060708090a0b0c0d0e0f',
	secretText: 'aaaqeayeaudaocajbifqydiob4',
	offererFp: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf',
	answererFp: 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf',
	offerer: '7758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf54',
	answerer: '8b73aee835ce4c4e9ffff632f659b9b8a424e02a9901df0ad32a9c6602f58c50',
};

/*
 * Runs the §4.5 vector through the JavaScript HMAC and, where available, WebCrypto, both roles,
 * plus the offerer/answerer helpers and a reflected mac (which must fail). Resolves to
 * {ok, checks: [{name, ok, got?, want?}]}. From the console: `await rtcTest.authSelfCheck()`.
 */
export async function authSelfCheck() {
	const v = TEST_VECTOR, key = fromHex(v.secret), ofp = fromHex(v.offererFp), afp = fromHex(v.answererFp);
	const checks = [];
	const impls = [['js', true]];
	if (subtle()) impls.push(['webcrypto', false]);
	for (const [name, js] of impls) {
		for (const role of [ROLE_OFFERER, ROLE_ANSWERER]) {
			const got = toHex(await computeMac(key, role, ofp, afp, { js }));
			checks.push({ name: `mac ${role} (${name})`, ok: got === v[role], got, want: v[role] });
		}
	}
	const mine = toHex(await localMac(key, true, ofp, afp));
	checks.push({ name: 'localMac as offerer', ok: mine === v.offerer });
	checks.push({ name: 'answerer verifies the offerer', ok: await verifyPeerMac(key, false, afp, ofp, v.offerer) });
	checks.push({ name: 'offerer verifies the answerer', ok: await verifyPeerMac(key, true, ofp, afp, v.answerer) });
	checks.push({ name: 'a reflected mac fails', ok: !(await verifyPeerMac(key, true, ofp, afp, v.offerer)) });
	checks.push({ name: 'swapped fingerprints fail', ok: !(await verifyPeerMac(key, true, afp, ofp, v.answerer)) });
	const sdp = 'v=0\r\na=fingerprint:SHA-256 ' + v.offererFp.toUpperCase().match(/../g).join(':') + '\r\n';
	checks.push({ name: 'fingerprint from SDP', ok: toHex(sdpFingerprint(sdp)) === v.offererFp });
	let refused = false;
	try {
		sdpFingerprint(sdp + 'a=fingerprint:sha-512 ' + '00:'.repeat(63) + '00\r\n');
	} catch (e) {
		refused = true;
	}
	checks.push({ name: 'a second fingerprint of another hash refused', ok: refused });
	return { ok: checks.every((c) => c.ok), webcrypto: !!subtle(), checks };
}
