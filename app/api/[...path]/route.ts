import { notFound } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
const answer = notFound();
export { answer as GET, answer as POST, answer as PUT, answer as DELETE, answer as PATCH };
