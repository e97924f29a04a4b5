'use strict';
// A minimal event emitter: Node's `events` module is not there in a browser or WebView,
// and a missing 'error' listener must not throw here (the thenable reports failures).

class Emitter {
  constructor() {
    this._listeners = new Map();
  }

  on(name, listener) {
    if (!this._listeners.has(name)) this._listeners.set(name, []);
    this._listeners.get(name).push(listener);
    return this;
  }

  once(name, listener) {
    const wrapped = (...args) => {
      this.off(name, wrapped);
      listener(...args);
    };
    return this.on(name, wrapped);
  }

  off(name, listener) {
    const list = this._listeners.get(name);
    if (list) this._listeners.set(name, list.filter((l) => l !== listener));
    return this;
  }

  removeListener(name, listener) {
    return this.off(name, listener);
  }

  emit(name, ...args) {
    for (const listener of [...(this._listeners.get(name) || [])]) {
      try {
        listener(...args);
      } catch (err) {
        // A listener's bug must not break the sync; surface it without stopping.
        setTimeout(() => {
          throw err;
        }, 0);
      }
    }
    return this;
  }
}

module.exports = { Emitter };
