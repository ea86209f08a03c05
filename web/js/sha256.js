/*
 * sha256.js - incremental SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain JavaScript.
 *
 * WebCrypto only hashes a whole buffer at once, and only in secure contexts (https:, or
 * http://localhost). A file transfer hashes gigabytes chunk by chunk, and signald may serve the
 * page over plain http:// on a LAN address, so we carry our own. It is checked against
 * crypto.subtle.digest on random data by selftest.js (rtcTest.selfCheck()).
 */

const K = new Int32Array([
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
	0x5be0cd19];

function toBytes(data) {
	if (data instanceof Uint8Array) return data;
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	if (typeof data === 'string') return new TextEncoder().encode(data);
	throw new TypeError('sha256: expected bytes or a string');
}

export class Sha256 {
	constructor() {
		this.h = new Int32Array(IV);
		this.w = new Int32Array(64);
		this.buf = new Uint8Array(64);
		this.bufLen = 0;
		this.length = 0; /* bytes hashed so far; exact up to 2^53 */
		this.finished = false;
	}

	/* Hashes 64-byte blocks of p starting at off, n blocks. */
	blocks(p, off, n) {
		const w = this.w, h = this.h;
		let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
		while (n-- > 0) {
			for (let i = 0; i < 16; i++, off += 4)
				w[i] = (p[off] << 24) | (p[off + 1] << 16) | (p[off + 2] << 8) | p[off + 3];
			for (let i = 16; i < 64; i++) {
				const a = w[i - 15], b = w[i - 2];
				const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
				const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
				w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
			}
			let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
			for (let i = 0; i < 64; i++) {
				const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
				const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
				const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
				const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
				hh = g; g = f; f = e; e = (d + t1) | 0;
				d = c; c = b; b = a; a = (t1 + t2) | 0;
			}
			h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
			h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
		}
		h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
	}

	/* Adds bytes (Uint8Array, ArrayBuffer, any ArrayBufferView, or a string as UTF-8). */
	update(data) {
		if (this.finished) throw new Error('sha256: update after digest');
		const p = toBytes(data);
		let off = 0, len = p.length;
		this.length += len;
		if (this.bufLen > 0) {
			const take = Math.min(64 - this.bufLen, len);
			this.buf.set(p.subarray(0, take), this.bufLen);
			this.bufLen += take;
			off += take;
			len -= take;
			if (this.bufLen < 64) return this;
			this.blocks(this.buf, 0, 1);
			this.bufLen = 0;
		}
		const n = len >>> 6;
		if (n > 0) {
			this.blocks(p, off, n);
			off += n * 64;
			len -= n * 64;
		}
		if (len > 0) {
			this.buf.set(p.subarray(off, off + len), 0);
			this.bufLen = len;
		}
		return this;
	}

	/* The 32-byte digest; the object cannot be updated afterwards. */
	digest() {
		if (this.finished) throw new Error('sha256: digest called twice');
		const bits = this.length * 8;
		const pad = new Uint8Array(((this.bufLen + 9 + 63) >>> 6) * 64 - this.bufLen);
		pad[0] = 0x80;
		const hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
		const n = pad.length;
		pad[n - 8] = hi >>> 24; pad[n - 7] = hi >>> 16; pad[n - 6] = hi >>> 8; pad[n - 5] = hi;
		pad[n - 4] = lo >>> 24; pad[n - 3] = lo >>> 16; pad[n - 2] = lo >>> 8; pad[n - 1] = lo;
		const len = this.length;
		this.update(pad);
		this.length = len;
		this.finished = true;
		const out = new Uint8Array(32);
		for (let i = 0; i < 8; i++) {
			const v = this.h[i];
			out[4 * i] = v >>> 24; out[4 * i + 1] = v >>> 16; out[4 * i + 2] = v >>> 8; out[4 * i + 3] = v;
		}
		return out;
	}
}

/* One-shot SHA-256 of bytes or a string. */
export function sha256(data) {
	return new Sha256().update(data).digest();
}

/* HMAC-SHA256(key, msg), RFC 2104 with a 64-byte block. */
export function hmacSha256(key, msg) {
	let k = toBytes(key);
	if (k.length > 64) k = sha256(k);
	const ipad = new Uint8Array(64), opad = new Uint8Array(64);
	for (let i = 0; i < 64; i++) {
		const b = i < k.length ? k[i] : 0;
		ipad[i] = b ^ 0x36;
		opad[i] = b ^ 0x5c;
	}
	const inner = new Sha256().update(ipad).update(msg).digest();
	return new Sha256().update(opad).update(inner).digest();
}

export function toHex(bytes) {
	const p = toBytes(bytes);
	let s = '';
	for (let i = 0; i < p.length; i++) s += (p[i] < 16 ? '0' : '') + p[i].toString(16);
	return s;
}

/* Hex (either case) to bytes; null when the text is not an even number of hex digits. */
export function fromHex(hex) {
	if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
	return out;
}

/* Compares two byte arrays in time that depends only on their lengths. */
export function ctEqual(a, b) {
	if (a.length !== b.length) return false;
	let d = 0;
	for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
	return d === 0;
}
