'use strict';
// What a run reports when it ends (and what `then` resolves with).

function newSummary() {
  return {
    ok: true,
    pushed: 0,
    pulled: 0,
    requests: 0,
    bytesSent: 0,
    bytesReceived: 0,
    resets: 0,
    conflicts: [],
    forbidden: [],
    rejected: [],
    snapshot: null,
    cursor: 0,
    server: null,
    start_time: new Date().toISOString(),
    end_time: null,
  };
}

function finish(summary, transport, error) {
  summary.requests = transport.requests;
  summary.bytesSent = transport.bytesSent;
  summary.bytesReceived = transport.bytesReceived;
  summary.ok = !error;
  if (error) summary.error = error;
  summary.end_time = new Date().toISOString();
  return summary;
}

module.exports = { newSummary, finish };
