// @ts-check
// protocol.js — the Worker message protocol, imported by both sides. No raw op strings elsewhere.
//   request  { id, op, args }            (ArrayBuffers go in the transfer list)
//   event    { id, ev, data }
//   error    { id, ev: Ev.ERROR, code, message, name }
export const Op = Object.freeze({
  INIT: 'init', LOAD: 'load', GENERATE: 'generate', ABORT: 'abort', DISPOSE: 'dispose', CALL: 'call',
});
export const Ev = Object.freeze({ PROGRESS: 'progress', ITEM: 'item', DONE: 'done', ERROR: 'error' });
/** Synchronous Engine methods the worker may run for Op.CALL. */
export const CALLS = Object.freeze(['tokenize', 'detokenize', 'renderChat']);
