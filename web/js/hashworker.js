/*
 * hashworker.js - module Worker behind hashsink.js: hashes file bytes with the incremental
 * SHA-256 (and, for received files, folds them into a Blob) on another core, so the page's
 * main thread only moves buffers between the data channel and here.
 *
 * Messages in:  {id, op: 'start', keep}  {id, op: 'data', buf (ArrayBuffer)}  {id, op: 'end'}
 *               {id, op: 'drop'}  {op: 'ping'}
 * Messages out: {id, digest (hex), blob (Blob | null), bytes}  or  {id, error}  or  {pong: true}
 */
import { Sha256, toHex } from './sha256.js';

const FOLD = 16 * 1024 * 1024; /* parts → one Blob every 16 MiB (the browser may page it out) */
const jobs = new Map();

self.onmessage = (ev) => {
	const { id, op } = ev.data;
	if (op === 'ping') { self.postMessage({ pong: true }); return; }
	try {
		if (op === 'start') {
			jobs.set(id, { hash: new Sha256(), keep: !!ev.data.keep, parts: [], blobs: [], partBytes: 0, bytes: 0 });
			return;
		}
		const j = jobs.get(id);
		if (!j) return;
		if (op === 'data') {
			const u8 = new Uint8Array(ev.data.buf);
			j.hash.update(u8);
			j.bytes += u8.length;
			if (j.keep) {
				j.parts.push(u8);
				j.partBytes += u8.length;
				if (j.partBytes >= FOLD) {
					j.blobs.push(new Blob(j.parts));
					j.parts = [];
					j.partBytes = 0;
				}
			}
		} else if (op === 'end') {
			jobs.delete(id);
			const blob = j.keep ? new Blob([...j.blobs, ...j.parts], { type: 'application/octet-stream' }) : null;
			self.postMessage({ id, digest: toHex(j.hash.digest()), blob, bytes: j.bytes });
		} else if (op === 'drop') {
			jobs.delete(id);
		}
	} catch (e) {
		jobs.delete(id);
		self.postMessage({ id, error: e.message });
	}
};
