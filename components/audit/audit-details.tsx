'use client';

import type { AuditEntry } from '@/lib/model/audit';
import { auditDetailsView, diffLines, diffStat } from '@/lib/ui/audit-diff';
import { useI18n } from '../i18n/locale-provider';

/** A unified diff with its lines coloured: added green, removed red, hunk headers blue. */
export function DiffView({ field, diff }: { field: string; diff: string }) {
  const { added, removed } = diffStat(diff);
  return (
    <div className="diff-view" data-testid="diff-view">
      <div className="diff-title">
        {field} <span className="diff-stat">+{added} −{removed}</span>
      </div>
      <pre className="diff-body">
        {diffLines(diff).map((line, index) => (
          <code key={index} className={`diff-line ${line.kind}`} data-kind={line.kind}>
            {line.text === '' ? ' ' : line.text}
          </code>
        ))}
      </pre>
    </div>
  );
}

/** What an audit entry recorded: the changed fields, each code diff, and the rest of its details. */
export function AuditDetails({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  const view = auditDetailsView(entry.details);
  const rest = Object.entries(view.rest);
  return (
    <div className="audit-details" data-testid="audit-details">
      {view.fields.length > 0 && <p className="small">{t('audit.fields', { fields: view.fields.join(', ') })}</p>}
      {view.diffs.map((item) => (
        <DiffView key={item.field} field={item.field} diff={item.diff} />
      ))}
      <dl>
        {rest.map(([key, value]) => (
          <FragmentRow key={key} name={key} value={typeof value === 'string' ? value : JSON.stringify(value)} />
        ))}
        {entry.ip && <FragmentRow name="ip" value={entry.ip} />}
        <FragmentRow name="requestId" value={entry.requestId} />
      </dl>
    </div>
  );
}

function FragmentRow({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </>
  );
}
