'use strict';
// The plugin's state in a `_local` document: it never replicates, and a restarted app
// resumes from it (cursor, server, what was pushed, a snapshot cut midway).

// FNV-1a, 32 bits: enough to tell two servers' URLs apart, and the same in every runtime.
function shortHash(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function checkpointId(device, url) {
  return `_local/hirfa-sync-${device}-${shortHash(url.replace(/\/+$/, ''))}`;
}

const EMPTY = { cursor: 0, server: null, pushed_seq: 0, snapshot: null };

class Checkpoint {
  constructor(db, device, url) {
    this.db = db;
    this.id = checkpointId(device, url);
    this.state = null; // null: no sync ever completed a step (a first sync)
    this.rev = undefined;
  }

  async load() {
    try {
      const doc = await this.db.get(this.id);
      this.rev = doc._rev;
      const { _id, _rev, ...state } = doc;
      this.state = { ...EMPTY, ...state };
    } catch (err) {
      if (err.status !== 404) throw err;
      this.state = null;
    }
    return this.state;
  }

  get isNew() {
    return this.state === null;
  }

  get value() {
    return this.state || { ...EMPTY };
  }

  async save(changes) {
    const state = { ...this.value, ...changes };
    if (state.removed && !Object.keys(state.removed).length) delete state.removed;
    const doc = { _id: this.id, ...state };
    if (this.rev) doc._rev = this.rev;
    const written = await this.db.put(doc);
    this.rev = written.rev;
    this.state = state;
    return state;
  }
}

module.exports = { Checkpoint, checkpointId, shortHash };
