import { TrendsPage } from '@/components/trends/trends-page';
import { isRangeChoice } from '@/lib/ui/time-range';

export default async function Trends({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { script, range } = await searchParams;
  const scriptId = typeof script === 'string' && script ? script : null;
  const initialRange = typeof range === 'string' && isRangeChoice(range) ? range : '1h';
  // A new script starts a fresh page state (its own series, scales and toggles).
  return <TrendsPage key={scriptId ?? 'none'} scriptId={scriptId} initialRange={initialRange} />;
}
