import { TokensPage } from '@/components/admin/tokens-page';

export default function Tokens() {
  return <TokensPage />;
}
