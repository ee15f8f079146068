import type { ReactNode } from 'react';

export const metadata = { title: 'Script Server', description: 'Calculated tags for plant data' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
