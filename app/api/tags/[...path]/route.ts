import { forwardTagPath } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
const answer = forwardTagPath();
export { answer as GET, answer as PUT, answer as DELETE };
