'use client';

import { loader } from '@monaco-editor/react';
import type * as Monaco from 'monaco-editor';
import type { Locale } from '@/lib/ui/format';
import { registerScriptCompletion, setCompletionDeclarations, type CompletionTypeScriptApi } from './script-completion';

/**
 * Monaco comes from the app itself, never from a CDN (plant networks are often air-gapped): the
 * route app/monaco/vs/[...path] serves the package's own AMD build (node_modules/monaco-editor/min/vs)
 * and the loader is pointed at it. Its web workers are files of the same build, so they load from the
 * same origin too. Monaco's own menus follow the UI language chosen when it first loads.
 */

export const MONACO_BASE = '/monaco/vs';
export const EXTRA_LIB_URI = 'file:///script-server/script-globals.d.ts';

let configured = false;
let languageReady = false;
let messages: Promise<void> | null = null;

/**
 * Monaco's own texts (menus, find widget) in the UI language. The build's translation files only set
 * globals, which the AMD loader's language plugin waits on forever; loading the file first, as a plain
 * script, gives Monaco the texts with no plugin involved.
 */
export function loadMonacoMessages(locale: Locale): Promise<void> {
  if (messages) return messages;
  if (locale === 'en') {
    messages = Promise.resolve();
    return messages;
  }
  messages = new Promise<void>((resolve) => {
    const script = document.createElement('script');
    script.src = `${MONACO_BASE}/nls/lang/${locale}.js`;
    script.async = true;
    // Without the translation Monaco still works, in English.
    script.onload = () => resolve();
    script.onerror = () => resolve();
    document.head.appendChild(script);
  });
  return messages;
}

export function configureMonacoLoader(): void {
  if (configured) return;
  configured = true;
  loader.config({ paths: { vs: MONACO_BASE } });
}

type TypeScriptApi = {
  javascriptDefaults: {
    setCompilerOptions(options: Record<string, unknown>): void;
    setDiagnosticsOptions(options: Record<string, unknown>): void;
    setEagerModelSync(value: boolean): void;
    addExtraLib(content: string, filePath?: string): { dispose(): void };
  };
  ScriptTarget: Record<string, number>;
};

function typescriptApi(monaco: typeof Monaco): TypeScriptApi | null {
  const modern = (monaco as unknown as { typescript?: TypeScriptApi }).typescript;
  if (modern?.javascriptDefaults) return modern;
  const legacy = (monaco.languages as unknown as { typescript?: TypeScriptApi }).typescript;
  return legacy?.javascriptDefaults ? legacy : null;
}

/**
 * JavaScript as scripts see it: modern ECMAScript without the browser's library (no window, fetch or
 * DOM), no checking of its own — the server's validation is the one source of problems, shown as
 * markers — and completion from the declarations generated for the script.
 */
export function prepareJavaScript(monaco: typeof Monaco): void {
  if (languageReady) return;
  const ts = typescriptApi(monaco);
  if (!ts) return;
  languageReady = true;
  ts.javascriptDefaults.setCompilerOptions({
    target: ts.ScriptTarget?.ES2022 ?? 9,
    lib: ['es2022'],
    allowJs: true,
    checkJs: false,
    allowNonTsExtensions: true,
    noEmit: true,
  });
  ts.javascriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: true, noSuggestionDiagnostics: true });
  ts.javascriptDefaults.setEagerModelSync(true);
  registerScriptCompletion(monaco, ts as unknown as CompletionTypeScriptApi);
}

let extraLib: { dispose(): void } | null = null;
let extraLibText = '';

export function setScriptDeclarations(monaco: typeof Monaco, text: string): void {
  if (text === extraLibText) return;
  const ts = typescriptApi(monaco);
  if (!ts) return;
  extraLib?.dispose();
  extraLib = ts.javascriptDefaults.addExtraLib(text, EXTRA_LIB_URI);
  extraLibText = text;
  setCompletionDeclarations(text);
}
