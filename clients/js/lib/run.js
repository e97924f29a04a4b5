'use strict';
// What `db.hirfaSync()` returns: an event emitter that is also a promise of the summary,
// with cancel(). One sync, or (live) syncs until cancel().

const { Emitter } = require('./events');
const { Session } = require('./session');
const { finish } = require('./summary');
const { live } = require('./live');

const DEFAULTS = {
  live: false,
  interval: 60000,
  snapshot: 'auto',
  batchSize: 500,
  gzip: true,
  retries: 5,
  timeout: 30000,
};

function checkOptions(url, options) {
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new TypeError('hirfaSync(url, options): url must be the http(s) URL of the sync database, e.g. http://host:5000/sync/hirfa');
  }
  if (!options || (typeof options.token !== 'function' && typeof options.token !== 'string')) {
    throw new TypeError('hirfaSync: options.token must be a function returning the access token');
  }
  if (typeof options.device !== 'string' || !options.device) {
    throw new TypeError('hirfaSync: options.device must be a stable id of this installation');
  }
}

class SyncRun extends Emitter {
  constructor(db, url, options) {
    super();
    checkOptions(url, options);
    this.options = { ...DEFAULTS, ...options, backoff: { initial: 1000, max: 60000, ...(options.backoff || {}) } };
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.cancelled = false;
    this.session = new Session(db, url, this.options, this);
    // Started on the next tick, so listeners attached right after the call see 'active'.
    this.promise = new Promise((resolve) => setTimeout(resolve, 0)).then(() => this.start());
    this.promise.catch(() => {}); // failures reach then/catch and 'error', never unhandled
  }

  async start() {
    const { session } = this;
    if (this.options.live) {
      const error = await live(this, session);
      const summary = finish(session.summary, session.transport, error);
      this.emit('complete', summary);
      return summary;
    }
    this.emit('active');
    try {
      await session.sync();
    } catch (err) {
      if (err.cancelled) {
        const summary = finish(session.summary, session.transport, null);
        this.emit('complete', summary);
        return summary;
      }
      const summary = finish(session.summary, session.transport, err);
      err.summary = summary;
      this.emit('error', err);
      throw err;
    }
    const summary = finish(session.summary, session.transport, null);
    this.emit('complete', summary);
    return summary;
  }

  cancel() {
    if (this.cancelled) return;
    this.cancelled = true;
    this.controller.abort();
    this.emit('cancel');
  }

  then(onFulfilled, onRejected) {
    return this.promise.then(onFulfilled, onRejected);
  }

  catch(onRejected) {
    return this.promise.catch(onRejected);
  }

  finally(onFinally) {
    return this.promise.finally(onFinally);
  }
}

module.exports = { SyncRun };
