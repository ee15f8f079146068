import type { ReactNode } from 'react';
import { cookies, headers } from 'next/headers';
import { AppHeader } from '@/components/app-header';
import { MeProvider } from '@/components/auth/use-me';
import { LocaleProvider } from '@/components/i18n/locale-provider';
import { FeedbackProvider } from '@/components/ui/feedback-provider';
import { LOCALE_COOKIE, pickLocale } from '@/lib/ui/i18n/translate';
// Korean text needs a font a bare plant kiosk may not have: served by the app from the npm package
// (only the unicode ranges a page uses are downloaded), never from a CDN.
import '@fontsource/noto-sans-kr/400.css';
import '@fontsource/noto-sans-kr/700.css';
import './globals.css';
import './accounts.css';
import './changes.css';
import './shadow.css';
import './backfill.css';
import { SignInGate } from './sign-in-gate';

export const metadata = { title: 'Script Server', description: 'Calculated tags for plant data' };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The saved language, else the browser's: the first render is already in the right language.
  const [cookieStore, headerList] = await Promise.all([cookies(), headers()]);
  const locale = pickLocale(cookieStore.get(LOCALE_COOKIE)?.value, headerList.get('accept-language'));
  return (
    <html lang={locale}>
      <body>
        <LocaleProvider initialLocale={locale}>
          <FeedbackProvider>
            <MeProvider>
              <AppHeader />
              <div id="main-content">
                <SignInGate>{children}</SignInGate>
              </div>
            </MeProvider>
          </FeedbackProvider>
        </LocaleProvider>
      </body>
    </html>
  );
}
