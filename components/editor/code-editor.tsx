'use client';

import Editor, { type OnMount } from '@monaco-editor/react';
import type * as Monaco from 'monaco-editor';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { EditorMarker } from '@/lib/ui/diagnostic-markers';
import { EditorEchoes, minimalEdit } from '@/lib/ui/editor-sync';
import type { Locale } from '@/lib/ui/format';
import { shortcutFor, type ShortcutAction } from '@/lib/ui/shortcuts';
import { registerAliasRename } from './alias-rename-provider';
import { prepareJavaScript, setScriptDeclarations } from './monaco-setup';
import { useMonacoLoader } from './use-monaco-loader';

export interface CodeEditorProps {
  /** Model file name: both parts share one JavaScript project, so calc sees init's variables. */
  file: 'init.js' | 'calc.js';
  value: string;
  onChange: (value: string) => void;
  markers: readonly EditorMarker[];
  /** The line of the current debug step, highlighted and scrolled into view. */
  debugLine: number | null;
  declarations: string;
  height: number;
  label: string;
  loadingText: string;
  fallbackNote: string;
  locale: Locale;
  onShortcut: (action: ShortcutAction) => void;
  testId: string;
  /** Move the cursor there and show it (from the problems list); `nonce` repeats a request. */
  reveal: { line: number; column: number; nonce: number } | null;
}

const MARKER_OWNER = 'script-server';

/** Monaco for one part of a script (loaded lazily; a plain text area if Monaco cannot load). */
export default function CodeEditor(props: CodeEditorProps) {
  const { file, value, onChange, markers, debugLine, declarations, height, label, loadingText, fallbackNote, locale, onShortcut, testId, reveal } = props;
  const [ready, setReady] = useState(false);
  const monacoRef = useRef<typeof Monaco | null>(null);
  const editorRef = useRef<Monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<Monaco.editor.IEditorDecorationsCollection | null>(null);
  const shortcutRef = useRef(onShortcut);
  const changeRef = useRef(onChange);
  const echoes = useRef(new EditorEchoes());

  useEffect(() => {
    shortcutRef.current = onShortcut;
    changeRef.current = onChange;
  }, [onShortcut, onChange]);

  const { messagesReady, failed } = useMonacoLoader(locale);

  const onMount: OnMount = (editor, monaco) => {
    editorRef.current = editor;
    monacoRef.current = monaco;
    decorations.current = editor.createDecorationsCollection([]);
    registerAliasRename(monaco);
    // Uncontrolled: the model is the source of truth and its changes are sent up; the text is never
    // written back from the props while the user types (a late re-render would drop or reorder keys).
    editor.onDidChangeModelContent(() => {
      const text = editor.getValue();
      echoes.current.sentUp(text);
      changeRef.current(text);
    });
    const run = (action: ShortcutAction) => () => shortcutRef.current(action);
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, run('save'));
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, run('calculate'));
    editor.addCommand(monaco.KeyCode.F10, run('debugNext'));
    editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.F10, run('debugPrevious'));
    setReady(true);
  };

  // A text changed outside the editor (script loaded, draft restored, alias renamed) goes into the
  // model as one undoable edit; the form's echoes of what was typed are ignored.
  useEffect(() => {
    const monaco = monacoRef.current;
    const model = editorRef.current?.getModel();
    if (!ready || !monaco || !model) return;
    const current = model.getValue();
    if (!echoes.current.mustApply(value, current)) return;
    const edit = minimalEdit(current, value);
    if (!edit) return;
    const start = model.getPositionAt(edit.start);
    const end = model.getPositionAt(edit.end);
    model.pushStackElement();
    model.pushEditOperations([], [{ range: new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column), text: edit.text, forceMoveMarkers: true }], () => null);
    model.pushStackElement();
  }, [ready, value]);

  // Declarations for IntelliSense: the aliases, ctx and the helpers of this script.
  useEffect(() => {
    if (ready && monacoRef.current) setScriptDeclarations(monacoRef.current, declarations);
  }, [ready, declarations]);

  useEffect(() => {
    const monaco = monacoRef.current;
    const model = editorRef.current?.getModel();
    if (!ready || !monaco || !model) return;
    monaco.editor.setModelMarkers(
      model,
      MARKER_OWNER,
      markers.map((marker) => ({
        startLineNumber: marker.startLineNumber,
        startColumn: marker.startColumn,
        endLineNumber: marker.endLineNumber,
        endColumn: marker.endColumn,
        message: marker.message,
        severity: marker.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
      })),
    );
  }, [ready, markers, value]);

  useEffect(() => {
    const monaco = monacoRef.current;
    const editor = editorRef.current;
    if (!ready || !monaco || !editor || !decorations.current) return;
    if (debugLine === null) {
      decorations.current.clear();
      return;
    }
    decorations.current.set([
      {
        range: new monaco.Range(debugLine, 1, debugLine, 1),
        options: { isWholeLine: true, className: 'debug-line', linesDecorationsClassName: 'debug-line-gutter', stickiness: 1 },
      },
    ]);
    editor.revealLineInCenterIfOutsideViewport(debugLine);
  }, [ready, debugLine]);

  useEffect(() => {
    const editor = editorRef.current;
    if (!ready || !editor || !reveal) return;
    const position = { lineNumber: reveal.line, column: Math.max(1, reveal.column) };
    editor.setPosition(position);
    editor.revealPositionInCenterIfOutsideViewport(position);
    editor.focus();
  }, [ready, reveal]);

  const options = useMemo(
    () => ({
      ariaLabel: label,
      minimap: { enabled: false },
      fontSize: 13,
      // Korean in comments and strings falls back to the served Noto Sans KR (app/layout.tsx).
      fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', 'D2Coding', monospace, 'Noto Sans KR'",
      lineNumbersMinChars: 3,
      scrollBeyondLastLine: false,
      tabSize: 2,
      automaticLayout: true,
      glyphMargin: false,
      fixedOverflowWidgets: true,
      renderLineHighlight: 'line' as const,
      wordWrap: 'off' as const,
      quickSuggestions: { other: true, comments: false, strings: false },
      accessibilitySupport: 'auto' as const,
    }),
    [label],
  );

  const markerCount = markers.length;

  if (failed) {
    return (
      <div className="code-fallback" data-testid={testId}>
        <p className="muted small">{fallbackNote}</p>
        <textarea
          aria-label={label}
          spellCheck={false}
          value={value}
          style={{ height }}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={(event) => {
            const action = shortcutFor(event);
            if (action) {
              event.preventDefault();
              onShortcut(action);
            }
          }}
        />
      </div>
    );
  }

  return (
    <div
      className="code-editor"
      data-testid={testId}
      data-ready={ready ? 'true' : 'false'}
      data-marker-count={markerCount}
      data-debug-line={debugLine ?? ''}
      style={{ height }}
    >
      {!messagesReady ? (
        <span className="muted">{loadingText}</span>
      ) : (
        <Editor
          path={`file:///script-server/${file}`}
          defaultLanguage="javascript"
          defaultValue={value}
          onMount={onMount}
          beforeMount={prepareJavaScript}
          loading={<span className="muted">{loadingText}</span>}
          height={height}
          options={options}
        />
      )}
    </div>
  );
}
