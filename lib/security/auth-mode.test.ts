import { describe, expect, it } from 'vitest';
import { authModeProblem, isLoopbackHost } from './auth-mode';

describe('AUTH=off only on loopback', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'plant-server', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.example.com']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses AUTH=off on any other HOST, naming both variables', () => {
    expect(authModeProblem({ AUTH: false, HOST: '127.0.0.1' })).toBeNull();
    expect(authModeProblem({ AUTH: true, HOST: '0.0.0.0' })).toBeNull();
    const problem = authModeProblem({ AUTH: false, HOST: '0.0.0.0' });
    expect(problem).toContain('AUTH=off');
    expect(problem).toContain('HOST=0.0.0.0');
  });
});
