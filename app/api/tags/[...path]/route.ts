import { forwardTagPath } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
export const GET = forwardTagPath();
