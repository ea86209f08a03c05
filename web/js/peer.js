/*
 * peer.js - one RTCPeerConnection: JSEP offer/answer, trickle ICE both ways, the DTLS
 * fingerprints for authentication, and state changes (WEBRTC-NOTES §7.4).
 *
 * Remote candidates are queued until setRemoteDescription has resolved; end-of-candidates
 * arrives as candidate "" and is passed on as such. Callbacks in `cb`: signal(msg) for what to
 * relay (offer/answer/candidate without `to`), state(name), channel(RTCDataChannel), log(text).
 */
import { sdpFingerprint } from './auth.js';

export class Peer {
	constructor({ iceServers, offerer }, cb) {
		this.offerer = offerer;
		this.cb = cb;
		this.pending = [];          /* remote candidates before the remote description */
		this.haveRemote = false;
		this.sentEoc = false;
		this.lastMid = null;
		this.closed = false;
		this.descSent = false;      /* local candidates wait until our description is out */
		this.localQueue = [];
		const pc = new RTCPeerConnection({ iceServers: sanitizeIceServers(iceServers) });
		this.pc = pc;
		pc.onicecandidate = (ev) => this.onLocalCandidate(ev.candidate);
		pc.onconnectionstatechange = () => this.cb.state && this.cb.state(pc.connectionState);
		pc.oniceconnectionstatechange = () => this.cb.log && this.cb.log(`ICE ${pc.iceConnectionState}`);
		pc.ondatachannel = (ev) => this.cb.channel && this.cb.channel(ev.channel);
	}

	onLocalCandidate(c) {
		if (this.closed) return;
		if (!this.descSent) {
			this.localQueue.push(c);
			return;
		}
		if (c && c.candidate) {
			const m = { type: 'candidate', candidate: c.candidate };
			if (typeof c.sdpMid === 'string') { m.mid = c.sdpMid; this.lastMid = c.sdpMid; }
			if (Number.isInteger(c.sdpMLineIndex)) m.mline = c.sdpMLineIndex;
			this.cb.signal(m);
			return;
		}
		/* null (gathering complete) or "" (end of one generation): end-of-candidates, once. */
		if (this.sentEoc) return;
		this.sentEoc = true;
		const m = { type: 'candidate', candidate: '' };
		const mid = (c && typeof c.sdpMid === 'string') ? c.sdpMid : this.lastMid ?? firstMid(this.pc.localDescription);
		if (mid != null) m.mid = mid;
		this.cb.signal(m);
	}

	/* Offerer: the offer must have an m=application section, or no SCTP association comes up
	 * and the answerer (who opens the channel, TRANSFER.md §1) has nothing to open it on. A
	 * channel that exists when createOffer runs is what puts it there; this one is closed
	 * before the transport exists, so no DCEP OPEN ever reaches the peer. */
	async makeOffer() {
		const probe = this.pc.createDataChannel('rtc-probe');
		await this.pc.setLocalDescription(await this.pc.createOffer());
		probe.close();
		this.sendDescription('offer');
	}

	/* Our offer or answer, then whatever candidates came before it. */
	sendDescription(type) {
		this.cb.signal({ type, sdp: this.pc.localDescription.sdp });
		this.descSent = true;
		for (const c of this.localQueue.splice(0)) this.onLocalCandidate(c);
	}

	async takeOffer(sdp) {
		await this.pc.setRemoteDescription({ type: 'offer', sdp });
		await this.remoteSet();
		await this.pc.setLocalDescription(await this.pc.createAnswer());
		this.sendDescription('answer');
	}

	async takeAnswer(sdp) {
		await this.pc.setRemoteDescription({ type: 'answer', sdp });
		await this.remoteSet();
	}

	async remoteSet() {
		this.haveRemote = true;
		const q = this.pending;
		this.pending = [];
		for (const c of q) await this.addCandidate(c);
	}

	/* A relayed `candidate` message: {candidate, mid?, mline?}. */
	async addRemoteCandidate(msg) {
		const c = { candidate: typeof msg.candidate === 'string' ? msg.candidate.replace(/^a=/, '').trim() : '' };
		if (typeof msg.mid === 'string') c.sdpMid = msg.mid;
		if (Number.isInteger(msg.mline)) c.sdpMLineIndex = msg.mline;
		if (!this.haveRemote) {
			this.pending.push(c);
			return;
		}
		await this.addCandidate(c);
	}

	async addCandidate(c) {
		if (this.closed) return;
		if (c.sdpMid === undefined && c.sdpMLineIndex === undefined) {
			/* addIceCandidate needs one of the two; our sessions have one m-line. */
			const mid = firstMid(this.pc.remoteDescription);
			if (mid != null) c.sdpMid = mid; else c.sdpMLineIndex = 0;
		}
		try {
			await this.pc.addIceCandidate(c);
		} catch (e) {
			/* e.g. a candidate type this browser cannot use: ICE goes on with the others. */
			this.cb.log && this.cb.log(`ignored remote candidate ${c.candidate ? JSON.stringify(c.candidate) : '(end)'}: ${e.message}`);
		}
	}

	localFingerprint() { return sdpFingerprint(this.pc.localDescription.sdp); }
	remoteFingerprint() { return sdpFingerprint(this.pc.remoteDescription.sdp); }

	/* What the SCTP transport lets us send in one message (RFC 8841 §6), at most `cap`. */
	maxMessageSize(cap) {
		const m = this.pc.sctp && this.pc.sctp.maxMessageSize;
		return m > 0 ? Math.min(m, cap) : cap;
	}

	/* A one-line description of the selected candidate pair, for the status line. */
	async selectedPath() {
		try {
			const stats = await this.pc.getStats();
			let pair = null;
			stats.forEach((s) => {
				if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
			});
			if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
			if (!pair) return null;
			const l = stats.get(pair.localCandidateId), r = stats.get(pair.remoteCandidateId);
			const relayed = (l && l.candidateType === 'relay') || (r && r.candidateType === 'relay');
			return { relayed, local: l && l.candidateType, remote: r && r.candidateType,
				text: `${l ? l.candidateType : '?'} → ${r ? r.candidateType : '?'}${relayed ? ' (relayed through TURN)' : ' (direct)'}` };
		} catch {
			return null;
		}
	}

	close() {
		if (this.closed) return;
		this.closed = true;
		try { this.pc.close(); } catch { /* already gone */ }
	}
}

function firstMid(desc) {
	const m = desc && /^a=mid:(\S+)/m.exec(desc.sdp);
	return m ? m[1] : null;
}

/* RTCIceServer objects from `joined`, minus anything RTCPeerConnection would throw on. */
export function sanitizeIceServers(list) {
	if (!Array.isArray(list)) return [];
	const out = [];
	for (const s of list) {
		if (!s || typeof s !== 'object') continue;
		const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u));
		if (!urls.length) continue;
		const e = { urls };
		if (typeof s.username === 'string') e.username = s.username;
		if (typeof s.credential === 'string') e.credential = s.credential;
		if (urls.some((u) => u.startsWith('turn')) && (e.username === undefined || e.credential === undefined)) {
			/* The browser refuses TURN without credentials; keep the STUN part if any. */
			const stun = urls.filter((u) => u.startsWith('stun'));
			if (!stun.length) continue;
			e.urls = stun;
		}
		out.push(e);
	}
	return out;
}
