'use strict';
// A first sync through `GET <url>/_snapshot?revs=true` (sync/compact/snapshot.py): one
// NDJSON stream instead of pages. A cut resumes after the last document stored, keeping
// the first part's `seq`; both are in the checkpoint, so even a restarted app resumes.

const { backoffDelay, sleep } = require('./backoff');

const STORE_BATCH = 200; // documents per bulkDocs (and per checkpoint) while streaming
const RESUME_LIMIT = 20;

async function* ndjsonLines(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, cut);
      pending = pending.slice(cut + 1);
      if (line.trim()) yield line;
    }
  }
  // An unterminated last line is a cut, not a document: it is dropped and fetched again.
}

class Snapshot {
  constructor(session) {
    this.session = session;
    this.requests = 0;
    this.docs = 0;
  }

  url(after) {
    const query = after ? `?after=${encodeURIComponent(after)}&revs=true` : '?revs=true';
    return `${this.session.url}/_snapshot${query}`;
  }

  // Runs to the end; answers the sequence to sync from.
  async load(resumeFrom) {
    const { checkpoint } = this.session;
    let state = resumeFrom || { seq: null, after: null };
    for (let part = 0; ; part += 1) {
      if (part > RESUME_LIMIT) throw new Error(`the snapshot did not complete in ${part} attempts`);
      let finished;
      this.answered = false;
      try {
        finished = await this.part(state);
      } catch (err) {
        if (err.cancelled || err.status) throw err; // refusals are not cuts
        // No answer at all: the transport has already spent `retries` on it, so an app
        // offline on its first sync hears so at once. A cut mid-stream resumes.
        if (!this.answered) throw err;
        await sleep(backoffDelay(Math.min(part, 6), this.session.transport.backoff), this.session.signal);
        state = checkpoint.value.snapshot || state;
        continue;
      }
      state = checkpoint.value.snapshot || state;
      if (finished) return state.seq;
    }
  }

  // One response as far as it goes; true when its last line said done.
  async part(state) {
    const { transport, checkpoint } = this.session;
    const response = await transport.stream(this.url(state.after));
    this.answered = true;
    this.requests += 1;
    let seq = state.seq;
    let after = state.after;
    let batch = [];
    let received = 0;
    const flush = async () => {
      if (!batch.length) return;
      const update = await this.session.storePage(batch);
      after = batch[batch.length - 1]._id;
      this.docs += batch.length;
      await checkpoint.save({ ...update, snapshot: { seq, after } });
      this.session.progress({ direction: 'snapshot', docs: batch, pulled: batch.length, cursor: seq });
      batch = [];
    };
    try {
      for await (const line of ndjsonLines(response.body)) {
        received += new TextEncoder().encode(line).length + 1;
        const item = JSON.parse(line);
        if (item._id) {
          batch.push(item);
          if (batch.length >= STORE_BATCH) await flush();
        } else if (item.done) {
          await flush();
          return true;
        } else if (seq === null || seq === undefined) {
          seq = item.seq; // the first part's: later parts are newer, the sync covers the gap
          await checkpoint.save({ snapshot: { seq, after } });
        }
      }
      await flush(); // cut before the last line: keep what is complete
      return false;
    } finally {
      transport.countReceived(response, received);
    }
  }
}

module.exports = { Snapshot, ndjsonLines };
