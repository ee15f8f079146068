'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useMe } from './auth/use-me';
import { UserMenu } from './auth/user-menu';
import { useI18n } from './i18n/locale-provider';
import { isLocale } from '@/lib/ui/i18n/translate';

export function AppHeader() {
  const { t, locale, setLocale } = useI18n();
  const pathname = usePathname() ?? '/';
  // Signed out, the page is the sign-in form: no links to pages that would only show it again.
  const signedOut = useMe().access.status === 'out';
  const links = [
    { href: '/', label: t('nav.scripts'), active: pathname === '/' || pathname.startsWith('/scripts') },
    { href: '/tags', label: t('nav.tags'), active: pathname.startsWith('/tags') },
    { href: '/trends', label: t('nav.trends'), active: pathname.startsWith('/trends') },
  ];
  return (
    <header className="app-header">
      <a href="#main-content" className="skip-link">
        {t('nav.skip')}
      </a>
      <Link href="/" className="brand" aria-label={t('nav.home')}>
        <span className="brand-mark" aria-hidden="true">ƒx</span>
        <span>Script Server</span>
      </Link>
      <nav aria-label={t('nav.main')} hidden={signedOut}>
        <ul>
          {links.map((link) => (
            <li key={link.href}>
              <Link href={link.href} className={link.active ? 'active' : undefined} aria-current={link.active ? 'page' : undefined}>
                {link.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <label className="locale-switch">
        <span className="visually-hidden">{t('nav.language')}</span>
        <select
          value={locale}
          data-testid="locale-switch"
          onChange={(event) => {
            if (isLocale(event.target.value)) setLocale(event.target.value);
          }}
        >
          <option value="en">English</option>
          <option value="ko">한국어</option>
        </select>
      </label>
      <UserMenu />
    </header>
  );
}
