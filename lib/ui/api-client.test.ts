import { describe, expect, it } from 'vitest';
import { ApiError, createApiClient, onUnauthorized } from './api-client';

const answering = (status: number) => async () =>
  new Response(JSON.stringify({ error: { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message: 'no', details: {} } }), { status });

describe('the API client', () => {
  it('tells its listeners when a request is refused for want of a session, not for a wrong password', async () => {
    let told = 0;
    const stop = onUnauthorized(() => told++);
    const client = createApiClient(answering(401));
    await expect(client.request('GET', '/api/scripts')).rejects.toBeInstanceOf(ApiError);
    expect(told).toBe(1);
    await expect(client.request('POST', '/api/auth/login', { username: 'a', password: 'b' })).rejects.toMatchObject({ status: 401 });
    expect(told).toBe(1);
    await expect(createApiClient(answering(403)).request('GET', '/api/users')).rejects.toMatchObject({ status: 403 });
    expect(told).toBe(1);
    stop();
    await expect(client.request('GET', '/api/scripts')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(told).toBe(1);
  });
});
