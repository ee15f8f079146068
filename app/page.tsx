import { ScriptsPage } from '@/components/scripts/scripts-page';

export default function HomePage() {
  return <ScriptsPage />;
}
