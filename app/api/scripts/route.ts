import { forward } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
export const GET = forward('listScripts');
export const POST = forward('createScript');
