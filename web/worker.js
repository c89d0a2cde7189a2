// @ts-check
// worker.js — worker entry (browser module Worker or Node worker_threads): owns one Engine and
// serves the protocol. Generation yields a macrotask between tokens inside the Engine, so ABORT
// messages are delivered while a generation runs.
import { Engine } from './engine.js';
import { Ev, Op, CALLS } from './protocol.js';
import { LmError, toLmError } from './errors.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const port = isNode ? (await import('node:worker_threads')).parentPort : self;
const post = (m) => port.postMessage(m);
const on = (fn) => (isNode ? port.on('message', fn) : (self.onmessage = (e) => fn(e.data)));

/** @type {Engine | null} */ let engine = null;
const controllers = new Map();   // request id -> AbortController

// stats: a generation's counters up to the failure or abort (the caller's model.stats)
function fail(id, e, stats) {
  const err = toLmError(e);
  post({ id, ev: Ev.ERROR, name: err.name, code: err instanceof LmError ? err.code : undefined, message: err.message,
         detail: err instanceof LmError ? err.detail : undefined, stats });
}

async function run(id, op, args) {
  const ctl = new AbortController();
  controllers.set(id, ctl);
  try {
    if (op === Op.INIT) { engine = await Engine.create(args); post({ id, ev: Ev.DONE }); return; }
    if (!engine) throw new LmError('WORKER', 'the worker has no engine yet');
    if (op === Op.LOAD) {
      const info = await engine.load(args.source, { ...args.options, signal: ctl.signal, onProgress: (p) => post({ id, ev: Ev.PROGRESS, data: p }) });
      post({ id, ev: Ev.DONE, data: info });
    } else if (op === Op.GENERATE) {
      const method = args.method === 'generateTokens' ? 'generateTokens' : 'stream';
      const onProgress = args.progress ? (p) => post({ id, ev: Ev.PROGRESS, data: p }) : undefined;
      engine.stats = null;
      try {
        for await (const item of engine[method](args.input, { ...args.options, signal: ctl.signal, onProgress })) post({ id, ev: Ev.ITEM, data: item });
      } catch (e) {
        fail(id, e, engine.stats ?? undefined);
        return;
      }
      post({ id, ev: Ev.DONE, data: engine.stats });
    } else if (op === Op.CALL) {
      if (!CALLS.includes(args.method)) throw new LmError('INVALID_ARG', `unknown call ${args.method}`);
      post({ id, ev: Ev.DONE, data: engine[args.method](...args.args) });
    } else if (op === Op.DISPOSE) {
      engine.dispose();
      post({ id, ev: Ev.DONE });
    } else throw new LmError('WORKER', `unknown op ${op}`);
  } catch (e) {
    fail(id, e);
  } finally { controllers.delete(id); }
}

on((msg) => {
  if (msg.op === Op.ABORT) controllers.get(msg.args.target)?.abort();
  else run(msg.id, msg.op, msg.args);
});
