import { TagsPage } from '@/components/tags/tags-page';

export default async function Tags({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { tag, query } = await searchParams;
  return <TagsPage initialTag={typeof tag === 'string' && tag ? tag : null} initialQuery={typeof query === 'string' ? query : ''} />;
}
