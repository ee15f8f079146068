import { forward } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
export const GET = forward('getScript');
export const PUT = forward('updateScript');
export const DELETE = forward('deleteScript');
