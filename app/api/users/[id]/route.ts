import { forward } from '@/app/api/_lib/forward';

export const dynamic = 'force-dynamic';
export const PATCH = forward('updateUser');
export const DELETE = forward('deleteUser');
