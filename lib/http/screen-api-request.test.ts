import { describe, expect, it } from 'vitest';
import { screenApiRequest } from './screen-api-request';

describe('screenApiRequest', () => {
  it.each([
    ['GET', '/api/scripts'],
    ['POST', '/api/scripts'],
    ['PUT', '/api/scripts/abc'],
    ['POST', '/api/scripts/validate'],
    ['POST', '/api/scripts/abc/register'],
    ['GET', '/api/tags/A%2FB/history?from=1'],
    ['GET', '/api/tags/x/history/extra'],
    ['PUT', '/api/tags/x/meta'],
    ['DELETE', '/api/tags/A%2FB'],
    ['DELETE', '/api/debug-sessions/abc'],
    ['GET', '/api/openapi.json'],
    ['HEAD', '/api/values'],
    ['OPTIONS', '/api/values'],
    ['GET', '/api/unknown/path'],
    ['GET', '/scripts/%'],
    ['GET', '/api/tags?query=%'],
  ])('lets %s %s through', (method, url) => {
    expect(screenApiRequest(method, url)).toBeNull();
  });

  it.each(['/api/tags/%', '/api/scripts/%E0%A4%A', '/api/tags/%ED%A0%80/history', '/api/%FF'])('answers 400 in the envelope for %s', (url) => {
    const answer = screenApiRequest('GET', url);
    expect(answer?.status).toBe(400);
    expect(JSON.parse(answer!.body)).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), details: {} } });
  });

  it.each([
    ['GET', '/api/scripts/validate', 'POST'],
    ['PATCH', '/api/scripts', 'GET, POST'],
    ['POST', '/api/scripts/abc', 'DELETE, GET, PUT'],
    ['POST', '/api/tags/A', 'DELETE, GET, PUT'],
    ['GET', '/api/values', 'POST'],
  ])('answers %s %s with a 404 envelope that names the methods (%s)', (method, url, allowed) => {
    const answer = screenApiRequest(method, url);
    expect(answer?.status).toBe(404);
    expect(answer?.headers.allow).toBe(`${allowed}, HEAD, OPTIONS`);
    expect(JSON.parse(answer!.body).error.code).toBe('NOT_FOUND');
  });

  it('answers /api itself with a 404 envelope rather than a page', () => {
    expect(screenApiRequest('GET', '/api')?.status).toBe(404);
    expect(screenApiRequest('GET', '/api/')?.status).toBe(404);
  });
});
