import { forward } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
export const POST = forward('cancelJob');
