// index.d.ts — the typed public contract of pocketlm (hand-written; see docs/API.md).

export type LmErrorCode =
  | 'NOMEM' | 'TRUNCATED' | 'BAD_MAGIC' | 'BAD_VERSION' | 'CORRUPT' | 'UNSUPPORTED_ARCH' | 'UNSUPPORTED_TYPE'
  | 'MISSING_TENSOR' | 'CTX_FULL' | 'INVALID_ARG' | 'MISSING_KEY' | 'BAD_SHAPE' | 'UNSUPPORTED' | 'TOO_LARGE' | 'IO'
  | 'FETCH' | 'BUSY' | 'RUNTIME' | 'WORKER' | 'QUOTA';

export declare class LmError extends Error {
  readonly name: 'LmError';
  readonly code: LmErrorCode;
  /** Numbers a program may use; QUOTA: bytes the model needs and bytes free. */
  readonly detail?: { needed: number; available: number } | Record<string, number>;
  constructor(code: LmErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, number> });
}
export declare const CODES: readonly LmErrorCode[];

/** One file, or the files of a gguf-split model in any order (a single "-00001-of-0000N.gguf" URL or path names them all). */
export type ModelSource = string | URL | Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>
  | Array<string | URL | Blob | ArrayBuffer | ArrayBufferView>;

export interface LoadProgress {
  phase: 'download' | 'load';
  loaded: number;            // bytes
  total?: number;
}

/** Prompt reading: tokens decoded so far of those not reused from the previous turn's cache. */
export interface PrefillProgress { phase: 'prefill'; loaded: number; total: number }

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Context length in tokens; 0 = min(model's training context, 4096). */
  contextSize?: number;
  /** Tokens per prefill batch (also sizes sliding-window KV rings); 0 = 32. */
  batchSize?: number;
  /**
   * KV cache storage: 'f16' (default, as llama.cpp) or 'q8' (int8 with one scale per token and KV
   * head: about half the KV memory; quality cost in docs/CONFORMANCE.md). Other values: INVALID_ARG.
   */
  kvCache?: 'f16' | 'q8';
  /** Run in a dedicated Worker (default true); false runs in the calling thread. */
  worker?: boolean;
  threads?: number;
  /** Where dist/pocketlm.wasm lives when it is not beside the module. */
  wasmUrl?: string | URL;
  wasmBinary?: ArrayBuffer;
  /** Force a build instead of feature detection (all give the same tokens; only speed differs). */
  build?: 'simd128' | 'relaxed' | 'threads';
  /**
   * Keep URL downloads in the browser's storage (OPFS, else the Cache API) and load from there
   * first, without the network. Default true; Node has no such storage (no-op). Only complete,
   * verified downloads are stored; not enough room is QUOTA (then pass false to run from memory).
   */
  cache?: boolean;
  /** Expected SHA-256 (hex) of the file, checked while it streams (one per shard for gguf-split); a mismatch is CORRUPT. */
  sha256?: string | string[];
  /** Byte ranges downloaded at once when the server supports Range (default 4). */
  parallel?: number;
  /** Attempts per range that make no progress before FETCH (default 5; backoff from 250 ms, doubling, at most 4 s). */
  retries?: number;
  /** A request that receives nothing for this long is retried (ms, default 30000). */
  timeoutMs?: number;
  /**
   * gemma4: keep the per-layer embedding table (1.2-1.9 GB for E2B) out of the wasm heap, in the
   * File, the OPFS entry or JS memory, reading one row per token (default true; same tokens either way).
   */
  pleOutOfHeap?: boolean;
}

export interface GenerateOptions {
  maxTokens?: number;          // default 256
  temperature?: number;        // default 0.8; 0 = greedy
  topK?: number;               // default 40; 0 = off
  topP?: number;               // default 0.95; 1 = off
  minP?: number;               // default 0.05; 0 = off
  repeatPenalty?: number;      // default 1 (off)
  presencePenalty?: number;    // default 0
  frequencyPenalty?: number;   // default 0
  penaltyLastN?: number;       // default 64
  seed?: number;               // default 0 (a fixed seed): same seed, same tokens
  stop?: string[];             // generation ends before any of these strings
  signal?: AbortSignal;
  /** Called before the prompt is read and after every batch of it (a batch is batchSize tokens). */
  onProgress?: (p: PrefillProgress) => void;
}

export interface ChatMessage { role: 'system' | 'user' | 'assistant' | string; content: string }
export type Prompt = string | ChatMessage[];

export interface ModelInfo {
  arch: string;
  nVocab: number; nEmbd: number; nLayer: number; nHead: number; nHeadKv: number;
  nCtxTrain: number; slidingWindow: number; nEmbdPerLayer: number; nLayerKv: number;
  nParams: number; bos: number; eos: number; addBos: boolean;
  threads: number; build: 'simd128' | 'relaxed' | 'threads';
  /** The KV cache storage in use (LoadOptions.kvCache). */
  kvCache: 'f16' | 'q8';
  /** Tensor count per type, e.g. { q4_0: 120, q6_k: 1, f32: 50 }. */
  tensorTypes: Record<string, number>;
  /**
   * Bytes. weights: tensor data in the wasm heap; external: tensor data kept outside it
   * (pleOutOfHeap); heap: wasm memory right after the load (what the engine holds resident).
   */
  memory: { weights: number; kv: number; scratch: number; external: number; heap: number };
  /** Where the bytes came from, whether they are now in the cache, and the file count (gguf-split). */
  source: { from: 'network' | 'cache' | 'file' | 'memory' | 'stream'; cached: boolean; shards: number };
}

export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  stopReason: 'length' | 'eos' | 'stop' | 'abort';
  prefillMs: number;
  decodeMs: number;
}

export interface Piece { text: string; token: number }

export declare class Model {
  readonly info: ModelInfo;
  readonly stats: GenerationStats | null;
  generate(input: Prompt, options?: GenerateOptions): Promise<string>;
  stream(input: Prompt, options?: GenerateOptions): AsyncIterable<Piece>;
  chat(options?: { system?: string }): Chat;
  tokenize(text: string, options?: { special?: boolean }): Promise<number[]>;
  detokenize(ids: number[]): Promise<string>;
  dispose(): Promise<void>;
}

export declare class Chat {
  readonly messages: ChatMessage[];
  send(text: string, options?: GenerateOptions): Promise<string>;
  stream(text: string, options?: GenerateOptions): AsyncIterable<Piece>;
}

export declare function loadModel(source: ModelSource, options?: LoadOptions): Promise<Model>;

/** Cached models of this origin (complete and verified only); cachedAt in ms since the epoch. */
export interface CachedModel { url: string; size: number; etag?: string; cachedAt: number }
export declare function listCachedModels(): Promise<CachedModel[]>;
/** Deletes a cached model (a gguf-split model by any shard's URL); false when there was none. */
export declare function deleteCachedModel(url: string): Promise<boolean>;

// ---- Transformers.js-style path ----
export declare class TextStreamer {
  constructor(tokenizer?: unknown, options?: { callback_function?: (text: string) => void; skip_prompt?: boolean });
  put(text: string): void;
  end(): void;
}

export interface PipelineGenerateOptions {
  max_new_tokens?: number;
  do_sample?: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repetition_penalty?: number;
  seed?: number;
  streamer?: TextStreamer;
  signal?: AbortSignal;
  stop?: string[];
}

export interface TextGenerationPipeline {
  (input: Prompt, options?: PipelineGenerateOptions): Promise<Array<{ generated_text: string | ChatMessage[] }>>;
  model: Model;
  tokenizer: Model;
  dispose(): Promise<void>;
}

export declare function pipeline(
  task: 'text-generation',
  source: ModelSource,
  options?: LoadOptions & { progress_callback?: (p: { status: string; file: string; loaded?: number; total?: number; progress?: number }) => void },
): Promise<TextGenerationPipeline>;
