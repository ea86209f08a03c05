/*
 * hashsink.js - where file bytes go to be hashed (SHA-256) and, when receiving, kept.
 *
 * A module Worker (hashworker.js) does the work on another core; the main thread hands it
 * ArrayBuffers (transferred, not copied) and gets back the digest and the assembled Blob. On a
 * browser without module workers, or if the worker cannot start, the same happens inline.
 *
 *   const sink = newSink({keep: true});  sink.update(arrayBuffer);  ...
 *   const {digest, blob} = await sink.finish();      // digest: 64 hex digits
 */
import { Sha256, toHex } from './sha256.js';

let worker = null, workerFailed = false, workerReady = false, nextId = 1;
const waiting = new Map(); /* id → {resolve, reject} */

function getWorker() {
	if (worker || workerFailed) return worker;
	try {
		worker = new Worker(new URL('./hashworker.js', import.meta.url), { type: 'module' });
		worker.onmessage = (ev) => {
			if (ev.data.pong) { workerReady = true; return; }
			const w = waiting.get(ev.data.id);
			if (!w) return;
			waiting.delete(ev.data.id);
			if (ev.data.error) w.reject(new Error(ev.data.error));
			else w.resolve({ digest: ev.data.digest, blob: ev.data.blob, bytes: ev.data.bytes });
		};
		worker.onerror = (ev) => {
			/* e.g. the script failed to load: finish the jobs that wait, use inline from now on */
			ev.preventDefault && ev.preventDefault();
			workerFailed = true;
			worker = null;
			for (const [, w] of waiting) w.reject(new Error('the hashing worker failed'));
			waiting.clear();
		};
	} catch {
		workerFailed = true;
		worker = null;
	}
	return worker;
}

class WorkerSink {
	constructor(w, keep) {
		this.w = w;
		this.id = nextId++;
		w.postMessage({ id: this.id, op: 'start', keep });
	}

	/* buf: an ArrayBuffer we give away (it is detached afterwards). */
	update(buf) { this.w.postMessage({ id: this.id, op: 'data', buf }, [buf]); }

	/* A worker that failed after this file started has lost its bytes: say so at once,
	 * rather than wait for an answer that cannot come (the transfer would hang). */
	finish() {
		return new Promise((resolve, reject) => {
			if (worker !== this.w) {
				reject(new Error('the hashing worker failed during the file'));
				return;
			}
			waiting.set(this.id, { resolve, reject });
			this.w.postMessage({ id: this.id, op: 'end' });
		});
	}

	drop() { this.w.postMessage({ id: this.id, op: 'drop' }); }
}

class InlineSink {
	constructor(keep) {
		this.hash = new Sha256();
		this.keep = keep;
		this.parts = [];
		this.bytes = 0;
	}

	update(buf) {
		const u8 = new Uint8Array(buf);
		this.hash.update(u8);
		this.bytes += u8.length;
		if (this.keep) this.parts.push(u8);
	}

	async finish() {
		const blob = this.keep ? new Blob(this.parts, { type: 'application/octet-stream' }) : null;
		this.parts = [];
		return { digest: toHex(this.hash.digest()), blob, bytes: this.bytes };
	}

	drop() { this.parts = []; }
}

/* Starts the worker early; sinks use it once it has answered (until then, inline). */
export function warmUp() {
	const w = getWorker();
	if (w) w.postMessage({ op: 'ping' });
}

/* A sink that hashes what it gets, and with keep also returns it as one Blob. */
export function newSink({ keep = false } = {}) {
	const w = workerReady ? getWorker() : null;
	return w ? new WorkerSink(w, keep) : new InlineSink(keep);
}

/* For tests: whether new sinks use the worker. */
export const usingWorker = () => workerReady && !workerFailed;
