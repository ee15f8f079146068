'use client';

import { securityApi } from '@/lib/ui/security-api';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { PasswordDialog } from './password-dialog';

/** Change my own password: PATCH /api/users/{id} with currentPassword (security.md). */
export function ChangePasswordDialog({ userId, onClose }: { userId: string; onClose: () => void }) {
  const { t } = useI18n();
  const { notify } = useFeedback();
  return (
    <PasswordDialog
      title={t('password.title')}
      submitLabel={t('password.save')}
      askCurrent
      onClose={onClose}
      save={async (password, currentPassword) => {
        await securityApi.updateUser(userId, { password, currentPassword });
        notify('success', t('password.changed'));
      }}
    />
  );
}
