'use strict';
// Live mode: sync now, then again on a local change, every `interval` ms, and when the
// device comes back online; failures back off exponentially (with jitter) until a sync
// succeeds. Ends on cancel(); answers the last sync's error (null when it succeeded).

const { backoffDelay } = require('./backoff');

const LOCAL_CHANGE_DELAY = 250; // ms: a burst of local writes becomes one sync

function live(run, session) {
  const { db, options } = session;
  return new Promise((resolve) => {
    if (run.cancelled) return resolve(null); // cancelled before the first sync
    let timer = null;
    let running = false;
    let again = false; // a local change came while a sync ran
    let failures = 0;
    let lastError = null;
    let highestLocalSeq = 0;

    const schedule = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(tick, ms);
    };

    async function tick() {
      if (run.cancelled) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      again = false;
      run.emit('active');
      try {
        await session.sync();
        failures = 0;
        lastError = null;
        run.emit('paused');
      } catch (err) {
        if (run.cancelled || err.cancelled) {
          running = false;
          return;
        }
        failures += 1;
        lastError = err;
        run.emit('error', err);
        run.emit('paused', err);
      }
      running = false;
      if (run.cancelled) return;
      if (failures) return schedule(backoffDelay(failures - 1, options.backoff));
      const behind = Number(highestLocalSeq) > Number(session.checkpoint.value.pushed_seq);
      schedule(again && behind ? 0 : options.interval);
    }

    // Local writes (the app's): our own pulled writes are behind pushed_seq and ignored.
    const feed = db.changes({ live: true, since: 'now' });
    feed.on('change', (change) => {
      if (Number(change.seq) > highestLocalSeq) highestLocalSeq = Number(change.seq);
      if (change.id && change.id.startsWith('_design/')) return;
      if (running) {
        again = true;
        return;
      }
      if (Number(change.seq) <= Number(session.checkpoint.value.pushed_seq)) return;
      if (!failures) schedule(LOCAL_CHANGE_DELAY);
    });
    feed.on('error', () => {}); // the feed ends with the database; nothing to report

    const online = () => {
      failures = 0; // the link is back: try at once, not after the backoff
      schedule(0);
    };
    const target = typeof window !== 'undefined' && window.addEventListener ? window : null;
    if (target) target.addEventListener('online', online);

    run.once('cancel', () => {
      clearTimeout(timer);
      feed.cancel();
      if (target) target.removeEventListener('online', online);
      const wait = () => (running ? setTimeout(wait, 10) : resolve(lastError));
      wait();
    });

    schedule(0);
  });
}

module.exports = { live };
