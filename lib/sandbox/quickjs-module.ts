import { newQuickJSWASMModule, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';

/**
 * A QuickJS WebAssembly module with its own linear memory, capped at `memoryMb`.
 *
 * `runtime.setMemoryLimit` does not bound allocations in the WebAssembly builds (quickjs-emscripten
 * issues #206, #255, #271), but a module whose memory cannot grow past a maximum does: allocation then
 * fails inside QuickJS with a clean "out of memory". After that (or any fatal error) the module is
 * dropped rather than disposed, because disposing a runtime in that state aborts the process.
 */

const WASM_PAGE_BYTES = 64 * 1024;
const INITIAL_PAGES = 256;

/** The compiled WebAssembly code is shared; each module instance gets its own memory. */
let compiledModule: Promise<WebAssembly.Module> | null = null;

async function compiled(): Promise<WebAssembly.Module> {
  if (!compiledModule) {
    compiledModule = (async () => {
      const { readFile } = await import('node:fs/promises');
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      const wasmPath = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
      return WebAssembly.compile(await readFile(wasmPath));
    })();
  }
  return compiledModule;
}

/** Each capped module's linear memory: the host's view of its guests' shared buffers (guest-memory.ts). */
const memories = new WeakMap<QuickJSWASMModule, WebAssembly.Memory>();

export function memoryOf(module: QuickJSWASMModule): WebAssembly.Memory | undefined {
  return memories.get(module);
}

export async function newCappedModule(memoryMb: number): Promise<QuickJSWASMModule> {
  // The build declares 16 MiB of initial memory (256 pages); pages are only resident once touched.
  const maximumPages = Math.max(INITIAL_PAGES, Math.ceil((memoryMb * 1024 * 1024) / WASM_PAGE_BYTES));
  const initialPages = INITIAL_PAGES;
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
  const variant = newVariant(RELEASE_SYNC, { wasmModule: () => compiled(), wasmMemory: memory });
  const capped = await newQuickJSWASMModule(variant);
  memories.set(capped, memory);
  return capped;
}
