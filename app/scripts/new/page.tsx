import { ScriptEditor } from '@/components/editor/script-editor';

export default async function NewScriptPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { copy } = await searchParams;
  const copyOf = typeof copy === 'string' && copy ? copy : null;
  return <ScriptEditor key={copyOf ?? 'new'} scriptId={null} copyOf={copyOf} />;
}
