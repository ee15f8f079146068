import { request, type FullConfig } from '@playwright/test';
import { E2E_ADMIN, E2E_AUTH_STATE } from '../playwright.config';

/** Signs in once as the administrator the app was started with (ADMIN_PASSWORD) and keeps the session cookie for every flow. */
export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0].use.baseURL;
  const context = await request.newContext({ baseURL });
  const answer = await context.post('/api/auth/login', { data: E2E_ADMIN });
  if (answer.status() !== 200) throw new Error(`signing in for the browser flows answered ${answer.status()}: ${await answer.text()}`);
  await context.storageState({ path: E2E_AUTH_STATE });
  await context.dispose();
}
