import { forward } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
export const POST = forward('startShadow');
export const GET = forward('getShadow');
export const DELETE = forward('stopShadow');
