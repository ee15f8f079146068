'use client';

import { DiffEditor, type DiffOnMount } from '@monaco-editor/react';
import { useMemo, useState } from 'react';
import type { Locale } from '@/lib/ui/format';
import { useMonacoLoader } from '../editor/use-monaco-loader';

export interface CodeDiffProps {
  original: string;
  modified: string;
  height: number;
  label: string;
  loadingText: string;
  locale: Locale;
  testId: string;
}

/**
 * Two versions of a part of a script side by side in Monaco's diff editor, read-only. Monaco comes
 * from the app itself, like the code editor's (monaco-setup.ts); if it cannot load, both texts are
 * shown as they are.
 */
export default function CodeDiff({ original, modified, height, label, loadingText, locale, testId }: CodeDiffProps) {
  const [ready, setReady] = useState(false);
  const [changes, setChanges] = useState<number | null>(null);
  const { messagesReady, failed } = useMonacoLoader(locale);

  const onMount: DiffOnMount = (editor) => {
    const count = () => setChanges(editor.getLineChanges()?.length ?? null);
    editor.onDidUpdateDiff(count);
    count();
    setReady(true);
  };

  const options = useMemo(
    () => ({
      readOnly: true,
      originalEditable: false,
      renderSideBySide: true,
      // Side by side even in a narrow dialog: the two versions are what the user asked to see.
      useInlineViewWhenSpaceIsLimited: false,
      minimap: { enabled: false },
      fontSize: 13,
      fontFamily: "ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', 'D2Coding', monospace, 'Noto Sans KR'",
      lineNumbersMinChars: 3,
      scrollBeyondLastLine: false,
      automaticLayout: true,
      ariaLabel: label,
    }),
    [label],
  );

  if (failed) {
    return (
      <div className="code-diff-fallback" data-testid={testId}>
        <pre aria-label={`${label} (1)`}>{original}</pre>
        <pre aria-label={`${label} (2)`}>{modified}</pre>
      </div>
    );
  }
  return (
    <div className="code-diff" data-testid={testId} data-ready={ready ? 'true' : 'false'} data-changes={changes ?? ''} style={{ height }}>
      {!messagesReady ? (
        <span className="muted">{loadingText}</span>
      ) : (
        <DiffEditor original={original} modified={modified} language="javascript" onMount={onMount} loading={<span className="muted">{loadingText}</span>} height={height} options={options} />
      )}
    </div>
  );
}
