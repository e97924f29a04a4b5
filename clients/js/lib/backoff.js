'use strict';
// Exponential backoff with jitter: phones that lost the same cell tower must not all
// come back in the same second.

function backoffDelay(attempt, { initial = 1000, max = 60000 } = {}) {
  const ceiling = Math.min(max, initial * 2 ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

// A sleep that a cancel() ends at once (the signal of the run).
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(cancelled());
    const timer = setTimeout(done, ms);
    function done() {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(cancelled());
    }
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelled() {
  const err = new Error('the sync was cancelled');
  err.name = 'cancelled';
  err.cancelled = true;
  return err;
}

module.exports = { backoffDelay, sleep, cancelled };
