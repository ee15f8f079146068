'use client';

import type * as Monaco from 'monaco-editor';
import { aliasProblem } from '@/lib/ui/alias-suggestion';
import { aliasReferences, renameAliasInCode } from '@/lib/ui/rename-alias';

/**
 * Monaco's Rename Symbol (F2) on an input's alias: the alias is renamed in both parts of the code (its
 * references only, by scope analysis) and in the inputs table. Any other identifier goes on to
 * Monaco's own JavaScript rename.
 */

export interface AliasRenameContext {
  aliases: readonly string[];
  /** The code edits are applied: the inputs table follows. */
  onRenamed: (from: string, to: string) => void;
  messages: {
    invalid: (name: string) => string;
    conflict: (from: string, to: string) => string;
    syntax: (from: string, line: number) => string;
  };
}

let context: AliasRenameContext | null = null;
let registered = false;

/** The script editor on screen (one at a time). */
export function setAliasRenameContext(next: AliasRenameContext | null): void {
  context = next;
}

const SCRIPT_MODEL = /^\/script-server\/(init|calc)\.js$/;

function aliasAt(monaco: typeof Monaco, model: Monaco.editor.ITextModel, position: Monaco.Position) {
  const word = model.getWordAtPosition(position);
  if (!word || !context?.aliases.includes(word.word)) return null;
  const start = model.getOffsetAt({ lineNumber: position.lineNumber, column: word.startColumn });
  // A local variable of the same name, a property or text is not the alias.
  if (!aliasReferences(model.getValue(), word.word)?.some((reference) => reference.start === start)) return null;
  return { name: word.word, range: new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn) };
}

type TypeScriptMode = { getJavaScriptWorker?: () => Promise<unknown> };

/**
 * Registered after Monaco's own JavaScript support has loaded (it loads lazily): of two rename
 * providers for a language, Monaco asks the newer first.
 */
export function registerAliasRename(monaco: typeof Monaco): void {
  if (registered) return;
  registered = true;
  const ts = (monaco as unknown as { typescript?: TypeScriptMode }).typescript ?? (monaco.languages as unknown as { typescript?: TypeScriptMode }).typescript;
  const loaded = ts?.getJavaScriptWorker ? ts.getJavaScriptWorker().catch(() => undefined) : Promise.resolve();
  void loaded.then(() => provideAliasRename(monaco));
}

function provideAliasRename(monaco: typeof Monaco): void {
  monaco.languages.registerRenameProvider('javascript', {
    resolveRenameLocation(model, position) {
      const alias = aliasAt(monaco, model, position);
      // Not an alias: Monaco asks its own JavaScript rename next.
      return alias ? { range: alias.range, text: alias.name } : (null as unknown as Monaco.languages.RenameLocation);
    },
    provideRenameEdits(model, position, newName) {
      const alias = aliasAt(monaco, model, position);
      const current = context;
      if (!alias || !current) return null;
      const to = newName.trim();
      if (to === alias.name) return { edits: [] };
      if (aliasProblem(to, current.aliases.filter((other) => other !== alias.name))) return { edits: [], rejectReason: current.messages.invalid(to) };
      const edits: Monaco.languages.IWorkspaceTextEdit[] = [];
      for (const part of monaco.editor.getModels().filter((candidate) => SCRIPT_MODEL.test(candidate.uri.path))) {
        const renamed = renameAliasInCode(part.getValue(), alias.name, to);
        if (!renamed.ok) {
          return { edits: [], rejectReason: renamed.reason === 'conflict' ? current.messages.conflict(alias.name, to) : current.messages.syntax(alias.name, renamed.line ?? 1) };
        }
        for (const edit of renamed.edits) {
          const start = part.getPositionAt(edit.start);
          const end = part.getPositionAt(edit.end);
          edits.push({
            resource: part.uri,
            versionId: part.getVersionId(),
            textEdit: { range: new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column), text: edit.text },
          });
        }
      }
      // After Monaco has applied the edits, so the form sees the renamed code first.
      window.setTimeout(() => current.onRenamed(alias.name, to), 0);
      return { edits };
    },
  });
}
