import { z } from 'zod';
import { RoleSchema, type Role } from './role';

/** API tokens of security.md: `ss_…`, for machines and scripts. */

export const TOKEN_PREFIX = 'ss_';
export const MAX_TOKEN_NAME_LENGTH = 100;

/** A token as the API lists it: never the secret. */
export interface Token {
  id: string;
  name: string;
  role: Role;
  owner: { id: string; username: string };
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revoked: boolean;
}

/** The answer of `POST /api/tokens`: the only time the secret is shown. */
export type CreatedToken = Token & { token: string };

/** `POST /api/tokens` */
export const CreateTokenBodySchema = z.strictObject({
  name: z
    .string({ message: 'name must be a string' })
    .trim()
    .min(1, { message: 'name is empty: say what the token is for, e.g. "historian connector"' })
    .max(MAX_TOKEN_NAME_LENGTH, { message: `name is longer than ${MAX_TOKEN_NAME_LENGTH} characters` }),
  role: RoleSchema.optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'expiresAt must be an ISO 8601 time with a zone, e.g. 2030-01-31T00:00:00Z' })
    .optional(),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBodySchema>;
