// @ts-check
// pipeline.js — a Transformers.js-style entry so pages written for it move over with few changes:
//   const gen = await pipeline('text-generation', url, { progress_callback });
//   const out = await gen(messages, { max_new_tokens: 128, do_sample: false, streamer });
//   out[0].generated_text   // prompt + continuation (string), or the messages plus the reply
import { LmError } from './errors.js';

/** Receives text as it is generated; `callback_function(text)` is called for each piece. */
export class TextStreamer {
  /**
   * @param {unknown} [_tokenizer] accepted for Transformers.js compatibility (text arrives decoded)
   * @param {{ callback_function?: (text: string) => void, skip_prompt?: boolean }} [options]
   */
  constructor(_tokenizer, { callback_function, skip_prompt = true } = {}) {
    this.callback_function = callback_function ?? ((t) => (typeof process === 'object' ? process.stdout.write(t) : console.log(t)));
    this.skip_prompt = skip_prompt;
  }
  /** @param {string} text */
  put(text) { if (text) this.callback_function(text); }
  end() {}
}

const KNOWN = ['max_new_tokens', 'do_sample', 'temperature', 'top_k', 'top_p', 'min_p', 'repetition_penalty', 'seed', 'streamer', 'signal', 'stop'];

/**
 * @param {'text-generation'} task
 * @param {any} source model URL, File/Blob, bytes or (Node) path
 * @param {{ progress_callback?: (p: object) => void, [k: string]: any }} [options] passed on to loadModel
 */
export async function pipeline(task, source, { progress_callback, ...rest } = {}) {
  if (task !== 'text-generation') throw new LmError('INVALID_ARG', `pipeline task '${task}' is not supported (only 'text-generation')`);
  const { loadModel } = await import('./index.js');
  const onProgress = progress_callback && ((p) => progress_callback({
    status: 'progress', file: typeof source === 'string' ? source : 'model', loaded: p.loaded, total: p.total,
    progress: p.total ? (100 * p.loaded) / p.total : undefined, phase: p.phase,
  }));
  const lm = await loadModel(source, { ...rest, onProgress });
  progress_callback?.({ status: 'ready', file: typeof source === 'string' ? source : 'model' });

  /** @param {string | Array<{ role: string, content: string }>} input */
  async function generator(input, opts = {}) {
    for (const k of Object.keys(opts)) if (!KNOWN.includes(k)) throw new LmError('INVALID_ARG', `unknown generation option '${k}' (known: ${KNOWN.join(', ')})`);
    const { max_new_tokens = 256, do_sample = false, temperature = 1, top_k = 50, top_p = 1, min_p = 0,
            repetition_penalty = 1, seed, streamer, signal, stop } = opts;
    const o = { maxTokens: max_new_tokens, temperature: do_sample ? temperature : 0, topK: top_k, topP: top_p,
                minP: min_p, repeatPenalty: repetition_penalty, seed, signal, stop };
    let text = '';
    for await (const piece of lm.stream(input, o)) { text += piece.text; streamer?.put(piece.text); }
    streamer?.end();
    return [{ generated_text: typeof input === 'string' ? input + text : [...input, { role: 'assistant', content: text }] }];
  }
  generator.model = lm;
  generator.tokenizer = lm;
  generator.dispose = () => lm.dispose();
  return generator;
}
