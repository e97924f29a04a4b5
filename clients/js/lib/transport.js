'use strict';
// HTTP for the compact protocol: only `fetch`, `TextEncoder` and (when present)
// `CompressionStream`, so the same code runs in Node 20, browsers and WebViews.
// Retries resend the very same bytes: the server answers a repeated request_id with the
// first outcome (docs/sync-protocols.md, "The compact protocol").

const { backoffDelay, sleep, cancelled } = require('./backoff');

const GZIP_ABOVE = 1024; // smaller bodies go plain: gzip's framing would cost more

class SyncError extends Error {
  constructor(message, { status, error, reason } = {}) {
    super(message);
    this.name = 'SyncError';
    this.status = status;
    this.error = error;
    this.reason = reason;
  }
}

// Guard: CompressionStream is a web API (Node >= 18, Chrome 80, Safari 16.4); where it is
// missing we send plain JSON rather than reach for a Node-only zlib.
const canGzip = () => typeof CompressionStream === 'function';

async function gzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function isRetryableStatus(status) {
  return status >= 500;
}

class Transport {
  constructor(options, signal) {
    this.fetch = options.fetch || globalThis.fetch.bind(globalThis);
    this.token = options.token;
    this.retries = options.retries ?? 5;
    this.backoff = { initial: 1000, max: 60000, ...(options.backoff || {}) };
    this.timeout = options.timeout ?? 30000;
    this.useGzip = options.gzip !== false;
    this.signal = signal; // the run's: cancel() aborts what is in flight
    this.requests = 0;
    this.bytesSent = 0;
    this.bytesReceived = 0;
  }

  async bearer(fresh) {
    const token = typeof this.token === 'function' ? await this.token({ refresh: fresh }) : this.token;
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  // The JSON body, encoded once, so every retry sends identical bytes.
  async encode(body) {
    const plain = new TextEncoder().encode(JSON.stringify(body));
    if (this.useGzip && plain.length > GZIP_ABOVE && canGzip()) {
      return { bytes: await gzip(plain), plain, gzipped: true };
    }
    return { bytes: plain, plain, gzipped: false };
  }

  async postJSON(url, body) {
    const encoded = await this.encode(body);
    const send = (gzipped) => ({
      method: 'POST',
      body: gzipped ? encoded.bytes : encoded.plain,
      headers: {
        'Content-Type': 'application/json',
        ...(gzipped ? { 'Content-Encoding': 'gzip' } : {}),
      },
    });
    let answer = await this.request(url, send(encoded.gzipped), { json: true });
    if (answer.response.status === 415 && encoded.gzipped) {
      // A proxy or an older server that does not take gzip bodies: plain from now on.
      this.useGzip = false;
      answer = await this.request(url, send(false), { json: true });
    }
    return this.json(answer);
  }

  async getJSON(url) {
    return this.json(await this.request(url, { method: 'GET', headers: { Accept: 'application/json' } }, { json: true }));
  }

  json({ response, text, value }) {
    this.countReceived(response, text.length ? new TextEncoder().encode(text).length : 0);
    if (!response.ok) throw failure(response, text);
    return value;
  }

  // Bytes on the wire when the server says (Content-Length is the gzip size), else decoded.
  countReceived(response, decoded) {
    const length = Number(response.headers.get('content-length'));
    this.bytesReceived += Number.isFinite(length) && length > 0 ? length : decoded;
  }

  // One request with the retry rules. A network failure anywhere (no connection, reset,
  // timeout, the body cut while it is read, a 2xx body that is not whole JSON) and a 5xx
  // resend the same init (same request_id, same bytes) after the backoff; a 401 asks the
  // app for a fresh token once. With `json`, answers {response, text, value} (the body
  // read, and parsed when ok), else {response} with the body unread (a stream).
  async request(url, init, { json = false } = {}) {
    let refreshed = false;
    for (let attempt = 0; ; attempt += 1) {
      if (this.signal && this.signal.aborted) throw cancelled();
      let answer;
      try {
        answer = await this.once(url, init, refreshed, json);
      } catch (err) {
        if (err.cancelled || attempt >= this.retries) throw err;
        await sleep(backoffDelay(attempt, this.backoff), this.signal);
        continue;
      }
      const { status } = answer.response;
      if (status === 401 && !refreshed) {
        // The token expired between two calls: ask the app for a fresh one, once.
        refreshed = true;
        if (!json) await answer.response.arrayBuffer().catch(() => {});
        attempt -= 1;
        continue;
      }
      if (isRetryableStatus(status) && attempt < this.retries) {
        if (!json) await answer.response.arrayBuffer().catch(() => {});
        await sleep(backoffDelay(attempt, this.backoff), this.signal);
        continue;
      }
      return answer;
    }
  }

  // One attempt. For JSON the timeout covers the headers and the whole body; for a
  // stream only the headers (a long snapshot is not cut by it), though cancel() still
  // aborts the stream.
  async once(url, init, fresh, json) {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    if (this.signal) this.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), this.timeout);
    const headers = { 'Accept-Encoding': 'gzip', ...init.headers, ...(await this.bearer(fresh)) };
    this.requests += 1;
    if (init.body) this.bytesSent += init.body.length;
    let streaming = false;
    try {
      const response = await this.fetch(url, { ...init, headers, signal: controller.signal });
      if (!json) {
        streaming = true;
        return { response };
      }
      const text = await response.text();
      let value;
      if (response.ok) {
        try {
          value = JSON.parse(text);
        } catch (err) {
          // A 2xx answer cut short (a proxy that ended the body early): a network failure.
          const cut = new SyncError(`${url} answered ${response.status} with a body that is not whole JSON`);
          cut.cut = true;
          throw cut;
        }
      }
      return { response, text, value };
    } catch (err) {
      if (this.signal && this.signal.aborted) throw cancelled();
      if (controller.signal.aborted) {
        const timeout = new SyncError(`no answer from ${url} within ${this.timeout} ms`);
        timeout.timeout = true;
        throw timeout;
      }
      throw err;
    } finally {
      clearTimeout(timer);
      if (this.signal && !streaming) this.signal.removeEventListener('abort', onAbort);
    }
  }

  // A streamed GET (the snapshot): the caller reads response.body.
  async stream(url) {
    const { response } = await this.request(url, { method: 'GET', headers: { Accept: 'application/x-ndjson' } });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      this.countReceived(response, text.length);
      throw failure(response, text);
    }
    return response;
  }
}

function failure(response, text) {
  let error;
  let reason = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text);
    // /sync speaks CouchDB's {error, reason}; /api/v1 has {error: {code, message}}.
    if (parsed && typeof parsed.error === 'string') {
      error = parsed.error;
      reason = parsed.reason || reason;
    } else if (parsed && parsed.error && typeof parsed.error === 'object') {
      error = parsed.error.code;
      reason = parsed.error.message || reason;
    }
  } catch (_) {
    // not JSON: keep the text
  }
  return new SyncError(`${response.url || 'request'} answered ${response.status}: ${reason}`, {
    status: response.status,
    error,
    reason,
  });
}

module.exports = { Transport, SyncError, canGzip };
