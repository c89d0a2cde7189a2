// @ts-check
// app.js — the pocketlm chat demo. Imports only the public package (../web/index.js); the model
// runs in the package's Worker. This file wires the page: model choice and loading (progress,
// errors), the conversation (streaming, Stop, persistence), settings and keyboard.
import * as pocketlm from '../web/index.js';
import { loadModel, LmError } from '../web/index.js';
import { RateMeter, bytes, describeError, duration, modelName, normalizeModelUrl, tokPerS } from './format.js';
import { startServiceWorker } from './pwa.js';
import * as store from './store.js';

// The built-in default model: pocketlm's own (make train, docs/QAT.md), committed under models/.
const BUILTIN = Object.freeze({
  url: new URL('../models/pocketlm-default.gguf', import.meta.url).href,
  name: 'Built-in: pocketlm-default (KJV, 3.5 MB)',
  note: 'Built-in model: a 6 M-parameter Gemma 4 that pocketlm trained on the King James Bible. It answers in KJV-style verses, not as an assistant; load a bigger GGUF under Model for real chat.',
});

const DEFAULTS = Object.freeze({ temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, maxTokens: 128, seed: 1 });
const LIMITS = { temperature: [0, 2], topK: [0, 1000], topP: [0.01, 1], minP: [0, 1], maxTokens: [1, 4096], seed: [0, 2 ** 32 - 1] };
const INTEGER = new Set(['topK', 'maxTokens', 'seed']);
const MSG_OVERHEAD = 8;      // tokens a chat template adds around one message (turn markers, role, newlines)
const PROMPT_OVERHEAD = 24;  // BOS and the reply's opening (Gemma 4: "<|turn>model\n<|channel>thought\n<channel|>")
const PREFILL_SHOW_MS = 300; // a prompt taking longer than this to read gets a progress bar

// The library's cache API (issue #5) may not be in this build: feature-detect, never assume.
const lib = /** @type {any} */ (pocketlm);
const canCache = typeof lib.listCachedModels === 'function';

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const el = {
  body: document.body, modelName: $('model-name'), notice: $('notice'), log: $('log'), empty: $('empty'),
  input: $('input'), send: $('send'), stop: $('stop'), system: $('system'), systemPreview: $('system-preview'),
  stats: $('stats'), env: $('env'), progress: $('progress'), progressLabel: $('progress-label'),
  progressDetail: $('progress-detail'), progressBar: $('progress-bar'), error: $('error'),
  modelDialog: $('model-dialog'), settingsDialog: $('settings-dialog'), settings: $('settings'),
  cachedList: $('cached-list'), storage: $('storage'), modelInfo: $('model-info'), drop: $('drop'),
};

/** @typedef {{ role: string, content: string, stopReason?: string, error?: string, outOfContext?: boolean, pending?: boolean }} Message */
/** @typedef {{ kind: 'builtin' | 'url' | 'file', url?: string, file?: File, name: string, cache?: boolean }} Choice */
const state = {
  /** @type {any} */ model: null,
  /** @type {Choice | null} */ choice: null,
  /** @type {AbortController | null} */ loading: null,
  /** @type {AbortController | null} */ generating: null,
  /** @type {Message[]} */ messages: [],
  system: '',
  settings: { ...DEFAULTS },
  /** @type {Map<string, number>} token counts of message texts under the loaded model */ tokens: new Map(),
  offline: false,
};

// ---- persistence ----
const saveChat = () => store.save('chat', {
  system: state.system,
  messages: state.messages.filter((m) => !m.pending || m.content)   // a reply in progress is kept as a stopped one
    .map(({ role, content, stopReason, error, pending }) => ({ role, content, stopReason: pending ? 'abort' : stopReason, error })),
});
const saveSettings = () => store.save('settings', state.settings);

// ---- status line and notices ----
function setEnv() {
  const parts = [];
  const { threads, build } = state.model?.info ?? {};
  if (threads) parts.push(`${threads} thread${threads > 1 ? 's' : ''}${build ? ` (${build} build)` : ''}`);
  parts.push(self.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (single thread)');
  if (state.offline) parts.push('works offline');
  el.env.textContent = parts.join(' · ');
}

function showNotice(text) { el.notice.textContent = text; el.notice.hidden = !text; }

// ---- progress ----
/** @param {string} label @param {string} detail @param {number | null} fraction null = indeterminate */
function showProgress(label, detail, fraction, cancellable = true) {
  el.progress.hidden = false;
  el.progressLabel.textContent = label;
  el.progressDetail.textContent = detail;
  if (fraction === null) el.progressBar.removeAttribute('value'); else el.progressBar.value = Math.min(1, Math.max(0, fraction));
  $('progress-cancel').hidden = !cancellable;
}
function hideProgress() { el.progress.hidden = true; }

// ---- errors ----
/** @type {Record<string, () => void>} */ let errorHandlers = {};
const ACTION_LABELS = { retry: 'Retry', builtin: 'Use the built-in model', nocache: 'Load without saving', manage: 'Manage saved models',
                        newchat: 'New chat', reload: 'Reload the model', settings: 'Open settings' };

/** @param {any} e @param {Record<string, () => void>} handlers */
function showError(e, handlers = {}) {
  const d = describeError(e);
  console.warn('pocketlm demo:', d.code, d.detail);
  errorHandlers = { builtin: () => loadChoice(builtinChoice()), manage: () => openModelDialog(), newchat: newChat,
                    reload: () => state.choice && loadChoice(state.choice), settings: () => el.settingsDialog.showModal(), ...handlers };
  el.error.dataset.code = d.code;
  $('error-title').textContent = d.title;
  $('error-detail').textContent = d.hint;
  $('error-tech').textContent = `${d.code}: ${d.detail}`;
  const actions = $('error-actions');
  actions.replaceChildren(...d.actions.filter((a) => errorHandlers[a]).map((a) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = ACTION_LABELS[a];
    b.dataset.action = a;
    b.addEventListener('click', () => { hideError(); errorHandlers[a](); });
    return b;
  }));
  el.error.hidden = false;
}
function hideError() { el.error.hidden = true; delete el.error.dataset.code; }

// ---- model loading ----
const builtinChoice = () => /** @type {Choice} */ ({ kind: 'builtin', url: BUILTIN.url, name: BUILTIN.name });
const threadsWanted = () => (self.crossOriginIsolated ? Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4)) : 1);

/** @param {Choice} choice */
async function loadChoice(choice) {
  stopGenerating();
  state.loading?.abort();
  hideError();
  const ctl = new AbortController();
  state.loading = ctl;
  el.body.dataset.model = 'loading';
  el.modelName.textContent = `${choice.name} (loading…)`;
  el.stats.textContent = '';
  showNotice('');
  if (state.model) { const old = state.model; state.model = null; updateComposer(); await old.dispose().catch(() => {}); }
  const meter = new RateMeter();
  showProgress(`Opening ${choice.name}`, '', null);
  /** @type {any} */
  const options = { signal: ctl.signal, threads: threadsWanted(), onProgress: (p) => { if (state.loading === ctl) onLoadProgress(p, meter, choice); } };
  // Only URL downloads are saved by the library; the built-in model is part of the app (its service worker caches it).
  if (canCache) options.cache = choice.kind === 'url' && choice.cache !== false && $('cache-models').checked;
  try {
    const model = await loadModel(choice.kind === 'file' ? /** @type {File} */ (choice.file) : /** @type {string} */ (choice.url), options);
    if (ctl.signal.aborted) { await model.dispose(); throw new DOMException('The load was cancelled.', 'AbortError'); }
    state.model = model;
    state.choice = choice;
    state.tokens.clear();
    el.body.dataset.model = 'ready';
    store.save('model', choice.kind === 'file' ? { kind: 'file', name: choice.name } : { kind: choice.kind, url: choice.url, name: choice.name });
  } catch (e) {
    if (state.loading !== ctl) return;                 // another load took over; it owns the page now
    if (ctl.signal.aborted || e?.name === 'AbortError') { el.body.dataset.model = 'none'; showNotice('Loading was cancelled. Pick a model to continue.'); return; }
    el.body.dataset.model = 'error';
    showError(e, { retry: () => loadChoice(choice), nocache: () => loadChoice({ ...choice, cache: false }) });
  } finally {
    if (state.loading === ctl) {
      state.loading = null;
      hideProgress();
      renderModel();
      if (el.modelDialog.open) refreshCached();
    }
  }
}

function onLoadProgress(p, meter, choice) {
  const total = p.total ?? 0;
  if (p.phase === 'download') meter.add(p.loaded);
  if (total && p.loaded >= total) { showProgress(`Preparing ${choice.name}`, bytes(total), null); return; }
  let detail = total ? `${bytes(p.loaded)} of ${bytes(total)}` : bytes(p.loaded);
  if (p.phase === 'download') {
    const rate = meter.rate, eta = meter.eta(p.loaded, total);
    if (rate > 0) detail += ` · ${bytes(rate)}/s`;
    if (eta >= 0) detail += ` · ${duration(eta)} left`;
  }
  showProgress(`${p.phase === 'download' ? 'Downloading' : 'Loading'} ${choice.name}`, detail, total ? p.loaded / total : null);
}

function renderModel() {
  const info = state.model?.info, choice = state.choice;
  el.modelName.textContent = info ? /** @type {Choice} */ (choice).name : state.loading ? el.modelName.textContent : 'none — pick one';
  showNotice(info && choice?.kind === 'builtin' ? BUILTIN.note : el.body.dataset.model === 'none' ? el.notice.textContent : '');
  const rows = info ? [
    ['Loaded', /** @type {Choice} */ (choice).name], ['Architecture', info.arch], ['Parameters', `${(info.nParams / 1e6).toFixed(1)} M`], ['Vocabulary', String(info.nVocab)],
    ['Context', `${contextLength(info)} tokens`], ['Layers', String(info.nLayer)], ['Threads', `${info.threads ?? 1}${info.build ? ` (${info.build} build)` : ''}`],
    ['Memory', `${bytes(info.memory.weights)} weights · ${bytes(info.memory.kv)} KV · ${bytes(info.memory.scratch)} scratch`],
  ] : [];
  el.modelInfo.replaceChildren(...rows.flatMap(([k, v]) => { const dt = document.createElement('dt'), dd = document.createElement('dd'); dt.textContent = k; dd.textContent = v; return [dt, dd]; }));
  $('builtin-desc').textContent = BUILTIN.note;
  setEnv();
  updateComposer();
}

/** @param {any} info */
const contextLength = (info) => info.nCtx ?? info.contextSize ?? Math.min(info.nCtxTrain || 4096, 4096);

// ---- cached models (the library's cache, when this build has one) ----
async function refreshCached() {
  $('cache-choice').hidden = !canCache;
  if (!canCache) {
    el.cachedList.replaceChildren(li('The list of saved models is unavailable in this build of pocketlm.'));
  } else {
    try {
      const list = await lib.listCachedModels();
      el.cachedList.replaceChildren(...(list.length ? list.map(cachedItem) : [li('No saved models yet.')]));
    } catch (e) {
      el.cachedList.replaceChildren(li(`Could not read saved models: ${e?.message ?? e}`));
    }
  }
  const est = await navigator.storage?.estimate?.().catch(() => null);
  el.storage.textContent = est?.quota ? `This site uses ${bytes(est.usage ?? 0)} of the ${bytes(est.quota)} the browser allows it.` : '';
}

function li(text) { const x = document.createElement('li'); x.textContent = text; x.className = 'muted'; return x; }

/** @param {any} entry { url, size, … } as listCachedModels() gives it */
function cachedItem(entry) {
  const url = entry.url ?? entry.key ?? String(entry), size = entry.size ?? entry.bytes;
  const item = document.createElement('li'), name = document.createElement('span'), load = document.createElement('button'), del = document.createElement('button');
  name.className = 'cached-name';
  const when = entry.cachedAt ? ` · saved ${new Date(entry.cachedAt).toLocaleDateString()}` : '';
  name.textContent = `${modelName(url)}${Number.isFinite(size) ? ` — ${bytes(size)}` : ''}${when}`;
  name.title = url;
  load.type = del.type = 'button';
  load.className = del.className = 'small';
  load.textContent = 'Load';
  load.setAttribute('aria-label', `Load ${modelName(url)}`);
  load.addEventListener('click', () => { el.modelDialog.close(); loadChoice({ kind: 'url', url, name: modelName(url) }); });
  del.textContent = 'Delete';
  del.setAttribute('aria-label', `Delete the saved copy of ${modelName(url)}`);
  del.addEventListener('click', async () => {
    del.disabled = true;
    try { await lib.deleteCachedModel(url); } catch (e) { showError(e); }
    refreshCached();
  });
  item.append(name, load, del);
  return item;
}

function openModelDialog() { refreshCached(); renderModel(); el.modelDialog.showModal(); }

// ---- conversation ----
// One item per message, changed only where something changed: the log is aria-live, so a screen
// reader then announces a new message once instead of the whole conversation again.
/** @type {WeakMap<Message, HTMLLIElement>} */ const items = new WeakMap();
const setText = (/** @type {Element} */ node, /** @type {string} */ text) => { if (node.textContent !== text) node.textContent = text; };

function renderMessages() {
  state.messages.forEach((m, i) => {
    const item = messageItem(m);
    if (el.log.children[i] !== item) el.log.insertBefore(item, el.log.children[i] ?? null);
  });
  while (el.log.children.length > state.messages.length) el.log.lastElementChild.remove();
  el.empty.hidden = state.messages.length > 0;
}

/** @param {Message} m @returns {HTMLLIElement} */
function messageItem(m) {
  let item = items.get(m);
  if (!item) {
    item = document.createElement('li');
    const who = document.createElement('span'), text = document.createElement('p'), meta = document.createElement('span');
    who.className = 'who';
    who.textContent = m.role === 'user' ? 'You' : 'Model';
    text.className = 'text';
    meta.className = 'meta';
    item.append(who, text, meta);
    items.set(m, item);
  }
  const cls = `msg ${m.role}${m.outOfContext ? ' out' : ''}`;
  if (item.className !== cls) item.className = cls;
  setText(item.children[1], m.content);
  const meta = messageMeta(m);
  setText(item.children[2], meta);
  /** @type {HTMLElement} */ (item.children[2]).hidden = !meta;
  if (m.pending) item.setAttribute('aria-busy', 'true'); else item.removeAttribute('aria-busy');
  return item;
}

/** @param {Message} m */
function messageMeta(m) {
  if (m.error) return `error: ${m.error}`;
  if (m.outOfContext) return 'beyond the context window: not sent to the model';
  if (m.role !== 'assistant' || m.pending) return '';
  if (m.stopReason === 'abort') return 'stopped';
  if (m.stopReason === 'length') return 'reached max tokens';
  return m.content ? '' : '(empty reply)';
}

const tokenCount = async (text) => {
  let n = state.tokens.get(text);
  if (n === undefined) { n = (await state.model.tokenize(text)).length; state.tokens.set(text, n); }
  return n;
};

// Keeps the newest messages that fit the context with room for a reply; marks the rest.
// Returns what to send and how many tokens the reply may have.
async function fitContext(history) {
  const nCtx = contextLength(state.model.info), want = state.settings.maxTokens;
  const sys = state.system.trim() ? await tokenCount(state.system) + MSG_OVERHEAD : 0;
  const minReply = Math.min(want, Math.max(16, nCtx >> 2));
  let used = sys + PROMPT_OVERHEAD, first = history.length;
  while (first > 0) {
    const cost = await tokenCount(history[first - 1].content) + MSG_OVERHEAD;
    if (used + cost + minReply > nCtx) break;
    used += cost;
    first--;
  }
  while (first < history.length && history[first].role !== 'user') first++;   // start on a user turn
  if (first >= history.length) throw new LmError('CTX_FULL', `the message needs more than the model's ${nCtx}-token context`);
  history.forEach((m, i) => { m.outOfContext = i < first; });
  const messages = [...(sys ? [{ role: 'system', content: state.system }] : []), ...history.slice(first).map(({ role, content }) => ({ role, content }))];
  return { messages, maxTokens: Math.max(1, Math.min(want, nCtx - used - MSG_OVERHEAD)) };
}

async function send() {
  const text = el.input.value;
  if (!text.trim() || state.generating || !state.model) return;
  hideError();
  const history = state.messages.filter((m) => !(m.role === 'assistant' && m.error && !m.content));
  history.push({ role: 'user', content: text });
  /** @type {Message} */ const reply = { role: 'assistant', content: '', pending: true };
  state.messages = [...history, reply];
  el.input.value = '';
  autosize();
  const ctl = new AbortController();
  state.generating = ctl;
  updateComposer();
  renderMessages();
  saveChat();                                          // the question survives a reload mid-reply
  const replyText = messageItem(reply).children[1];
  let firstAt = 0, pieces = 0, startedAt = 0, stopPrefill = () => {};
  const statsBefore = state.model.stats;
  try {
    const { messages, maxTokens } = await fitContext(history.slice());
    renderMessages();
    const s = state.settings;
    startedAt = performance.now();
    const prefill = prefillProgress(startedAt);
    stopPrefill = prefill.stop;
    const stream = state.model.stream(messages, { maxTokens, temperature: s.temperature, topK: s.topK, topP: s.topP, minP: s.minP, seed: s.seed,
                                                  signal: ctl.signal, onProgress: prefill.update });
    for await (const piece of stream) {
      if (!firstAt) { firstAt = performance.now(); stopPrefill(); }
      reply.content += piece.text;
      pieces++;
      replyText.textContent = reply.content;
      el.stats.textContent = `generating… ${tokPerS(pieces, performance.now() - firstAt)}`;
    }
    reply.stopReason = state.model.stats?.stopReason;
  } catch (e) {
    if (ctl.signal.aborted || e?.name === 'AbortError') reply.stopReason = 'abort';
    else { reply.error = describeError(e).title; showError(e, { retry: () => { el.input.value = text; state.messages = history.slice(0, -1); renderMessages(); send(); } }); }
  } finally {
    stopPrefill();
    delete reply.pending;
    state.generating = null;
    const fresh = state.model?.stats !== statsBefore;
    if (reply.error && !fresh) el.stats.textContent = '';
    else showStats(startedAt, firstAt, fresh ? null : { pieces, endAt: performance.now() });
    renderMessages();
    updateComposer();
    saveChat();
    if (document.activeElement === document.body || document.activeElement === el.stop) el.input.focus();
  }
}

// Shows a progress bar while a long prompt is read, from the library's prefill progress
// (tokens read of those not reused from the previous turn), once reading takes a while.
function prefillProgress(t0) {
  let last = null;
  const show = () => {
    const ms = performance.now() - t0;
    if (!last || ms < PREFILL_SHOW_MS || last.loaded >= last.total) return;
    showProgress('Reading the prompt', `${last.loaded} of ${last.total} tokens · ${duration(ms / 1000)}`, last.loaded / last.total, false);
  };
  const timer = setInterval(show, 100);
  return {
    update: (/** @type {{ loaded: number, total: number }} */ p) => { last = p; show(); },
    stop: () => { clearInterval(timer); if (!state.loading) hideProgress(); },
  };
}

// `partial`: the library kept no stats for this run (a stopped reply in a Worker), so the line
// shows what the page measured itself.
function showStats(startedAt, firstAt, partial) {
  const s = state.model?.stats, info = state.model?.info;
  if (partial) {
    const decode = firstAt ? tokPerS(partial.pieces, partial.endAt - firstAt).replace('tok/s', 'pieces/s') : '–';
    el.stats.textContent = `stopped after ${partial.pieces} pieces, ${decode} · first token ${firstAt ? duration((firstAt - startedAt) / 1000) : '–'}`;
    return;
  }
  if (!s || !info) { el.stats.textContent = ''; return; }
  const fresh = s.promptTokens - (s.reusedTokens ?? 0);
  const m = info.memory, total = m.weights + m.kv + m.scratch;
  const parts = [
    `prompt ${s.promptTokens} tok${s.reusedTokens ? ` (${s.reusedTokens} reused)` : ''}, prefill ${tokPerS(fresh, s.prefillMs)}`,
    `reply ${s.generatedTokens} tok, decode ${tokPerS(s.generatedTokens, s.decodeMs)}`,
    `first token ${firstAt ? duration((firstAt - startedAt) / 1000) : '–'}`,
    `memory ${bytes(m.weights)} weights + ${bytes(m.kv)} KV + ${bytes(m.scratch)} scratch = ${bytes(total)}`,
  ];
  el.stats.textContent = parts.join(' · ');
}

function stopGenerating() { state.generating?.abort(); }

function newChat() {
  stopGenerating();
  state.messages = [];
  el.stats.textContent = '';
  hideError();
  renderMessages();
  saveChat();
  el.input.focus();
}

function updateComposer() {
  const busy = !!state.generating;
  el.body.dataset.busy = busy ? 'generating' : 'idle';
  el.send.hidden = busy;
  el.stop.hidden = !busy;
  el.send.disabled = !state.model;
  el.input.placeholder = state.model ? 'Message' : 'Load a model to start chatting';
}

function autosize() {
  el.input.style.height = 'auto';
  el.input.style.height = `${Math.min(el.input.scrollHeight, 200)}px`;
}

// ---- settings ----
function renderSettings() {
  for (const [k, v] of Object.entries(state.settings)) el.settings.elements[k].value = String(v);
}

function readSetting(/** @type {HTMLInputElement} */ input) {
  const k = input.name, [lo, hi] = LIMITS[k] ?? [];
  if (lo === undefined) return;
  const v = Number(input.value);
  const ok = input.value.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!INTEGER.has(k) || Number.isInteger(v));
  input.setAttribute('aria-invalid', String(!ok));
  if (ok) { state.settings[k] = v; saveSettings(); }
}

// ---- events ----
function wire() {
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
  el.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  el.input.addEventListener('input', autosize);
  el.stop.addEventListener('click', stopGenerating);
  $('new-chat').addEventListener('click', newChat);
  addEventListener('pagehide', () => { if (state.generating) saveChat(); });   // keep a partial reply
  $('progress-cancel').addEventListener('click', () => state.loading?.abort());
  $('error-close').addEventListener('click', hideError);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || document.querySelector('dialog[open]')) return;
    if (state.generating) { e.preventDefault(); stopGenerating(); } else if (state.loading) { e.preventDefault(); state.loading.abort(); }
  });
  let systemTimer = 0;
  el.system.addEventListener('input', () => {
    state.system = el.system.value;
    el.systemPreview.textContent = previewOf(state.system);
    clearTimeout(systemTimer);
    systemTimer = setTimeout(saveChat, 300);
  });
  $('model-button').addEventListener('click', openModelDialog);
  $('settings-button').addEventListener('click', () => { renderSettings(); el.settingsDialog.showModal(); });
  el.settings.addEventListener('input', (e) => readSetting(e.target));
  el.settings.addEventListener('submit', (e) => e.preventDefault());
  $('seed-random').addEventListener('click', () => {
    el.settings.elements.seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
    readSetting(el.settings.elements.seed);
  });
  $('settings-reset').addEventListener('click', () => { state.settings = { ...DEFAULTS }; renderSettings(); saveSettings(); });
  $('load-builtin').addEventListener('click', () => { el.modelDialog.close(); loadChoice(builtinChoice()); });
  $('url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    let url;
    try { url = normalizeModelUrl($('model-url').value); } catch { $('model-url').setAttribute('aria-invalid', 'true'); return; }
    $('model-url').value = url;
    el.modelDialog.close();
    loadChoice({ kind: 'url', url, name: modelName(url) });
  });
  $('model-file').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) { el.modelDialog.close(); loadChoice({ kind: 'file', file, name: file.name }); }
  });
  wireDrop();
}

function wireDrop() {
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  let depth = 0;
  window.addEventListener('dragenter', (e) => { if (hasFiles(e)) { depth++; el.drop.hidden = false; } });
  window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; el.drop.hidden = true; } });
  window.addEventListener('dragover', (e) => { if (hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
  window.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    el.drop.hidden = true;
    const file = e.dataTransfer.files[0];
    if (file) { if (el.modelDialog.open) el.modelDialog.close(); loadChoice({ kind: 'file', file, name: file.name }); }
  });
}

const previewOf = (s) => (s.trim() ? `— ${s.trim().slice(0, 60)}${s.trim().length > 60 ? '…' : ''}` : '— none');

// ---- boot ----
async function boot() {
  const sw = await startServiceWorker();
  if (sw.reloading) return;
  sw.offline.then((ok) => { state.offline = ok; setEnv(); });
  const [chat, settings, last] = await Promise.all([store.load('chat'), store.load('settings'), store.load('model')]);
  if (chat) { state.system = chat.system ?? ''; state.messages = chat.messages ?? []; }
  if (settings) state.settings = { ...DEFAULTS, ...settings };
  el.system.value = state.system;
  el.systemPreview.textContent = previewOf(state.system);
  wire();
  renderSettings();
  renderMessages();
  renderModel();
  el.input.focus();
  if (last?.kind === 'url' && last.url) await loadChoice({ kind: 'url', url: last.url, name: last.name ?? modelName(last.url) });
  else {
    await loadChoice(builtinChoice());
    if (last?.kind === 'file') showNotice(`${el.notice.textContent} Last time you used ${last.name} from this device: choose it again under Model.`.trim());
  }
}

boot();
