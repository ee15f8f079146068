import { UsersPage } from '@/components/admin/users-page';

export default function Users() {
  return <UsersPage />;
}
