'use client';

import type * as Monaco from 'monaco-editor';
import { completionSortText, declaredAliases } from '@/lib/ui/completion-rank';

/**
 * Completion for scripts: the JavaScript service's own suggestions, re-ranked so the script's
 * aliases, `ctx` and the helpers come before JavaScript's built-ins (lib/ui/completion-rank.ts).
 * Monaco's built-in provider is switched off (setModeConfiguration) so nothing is listed twice.
 */

interface CompletionInfo {
  isMemberCompletion?: boolean;
  entries: Array<{ name: string; kind: string; sortText: string; kindModifiers?: string; replacementSpan?: { start: number; length: number } }>;
}
interface CompletionDetails {
  name: string;
  displayParts?: Array<{ text: string }>;
  documentation?: Array<{ text: string }>;
}
interface JavaScriptWorker {
  getCompletionsAtPosition(fileName: string, offset: number): Promise<CompletionInfo | undefined>;
  getCompletionEntryDetails(fileName: string, offset: number, name: string): Promise<CompletionDetails | undefined>;
}
export interface CompletionTypeScriptApi {
  javascriptDefaults: { modeConfiguration?: Record<string, boolean>; setModeConfiguration?(configuration: Record<string, boolean>): void };
  getJavaScriptWorker?: () => Promise<(...uris: Monaco.Uri[]) => Promise<JavaScriptWorker>>;
}

let aliases = new Set<string>();

/** The aliases to rank first, from the declarations given to the JavaScript service. */
export function setCompletionDeclarations(declarations: string): void {
  aliases = declaredAliases(declarations);
}

function itemKind(monaco: typeof Monaco, kind: string): Monaco.languages.CompletionItemKind {
  const kinds = monaco.languages.CompletionItemKind;
  switch (kind) {
    case 'keyword':
    case 'primitive type':
      return kinds.Keyword;
    case 'var':
    case 'local var':
    case 'let':
    case 'const':
    case 'parameter':
      return kinds.Variable;
    case 'function':
    case 'local function':
    case 'method':
      return kinds.Function;
    case 'class':
      return kinds.Class;
    case 'interface':
      return kinds.Interface;
    case 'module':
      return kinds.Module;
    default:
      return kinds.Property;
  }
}

const text = (parts: Array<{ text: string }> | undefined) => (parts ?? []).map((part) => part.text).join('');

export function registerScriptCompletion(monaco: typeof Monaco, ts: CompletionTypeScriptApi): void {
  const defaults = ts.javascriptDefaults;
  const getWorker = ts.getJavaScriptWorker;
  if (!defaults.setModeConfiguration || !getWorker) return; // keep Monaco's own completion
  defaults.setModeConfiguration({ ...(defaults.modeConfiguration ?? {}), completionItems: false });
  const workerFor = async (uri: Monaco.Uri) => (await getWorker())(uri);
  type Item = Monaco.languages.CompletionItem & { offset: number; uri: Monaco.Uri };
  monaco.languages.registerCompletionItemProvider('javascript', {
    triggerCharacters: ['.'],
    async provideCompletionItems(model, position) {
      const worker = await workerFor(model.uri);
      const offset = model.getOffsetAt(position);
      const info = model.isDisposed() ? undefined : await worker.getCompletionsAtPosition(model.uri.toString(), offset);
      if (!info || model.isDisposed()) return { suggestions: [] };
      const word = model.getWordUntilPosition(position);
      const wordRange = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
      const member = info.isMemberCompletion === true;
      const suggestions: Item[] = info.entries.map((entry) => {
        let range: Monaco.IRange = wordRange;
        if (entry.replacementSpan) {
          const start = model.getPositionAt(entry.replacementSpan.start);
          const end = model.getPositionAt(entry.replacementSpan.start + entry.replacementSpan.length);
          range = new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column);
        }
        return {
          label: entry.name,
          insertText: entry.name,
          sortText: completionSortText(entry, aliases, member),
          kind: itemKind(monaco, entry.kind),
          tags: entry.kindModifiers?.includes('deprecated') ? [monaco.languages.CompletionItemTag.Deprecated] : [],
          range,
          offset,
          uri: model.uri,
        };
      });
      return { suggestions };
    },
    async resolveCompletionItem(item) {
      const mine = item as Item;
      const worker = await workerFor(mine.uri);
      const details = await worker.getCompletionEntryDetails(mine.uri.toString(), mine.offset, String(item.label));
      if (!details) return item;
      return { ...item, detail: text(details.displayParts), documentation: { value: text(details.documentation) } };
    },
  });
}
