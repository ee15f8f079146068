import { z } from 'zod';
import { RoleSchema, type Role } from './role';

/** Users of security.md: who signs in, with which role. */

export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 12;
/** Longer passwords are refused so that hashing one cannot be used to tie up the server. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_DISPLAY_NAME_LENGTH = 200;

export type UserSource = 'local' | 'oidc';

/** A user as the API shows it: never a password or its hash. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  source: UserSource;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

/** Why `username` is not a valid username, or null. */
export function usernameProblem(username: string): string | null {
  if (username.length === 0) return 'the username is empty: use 1 to 64 letters, digits, ".", "_", "-" or "@"';
  if (username.length > 64) return `the username has ${username.length} characters; at most 64 are allowed`;
  const bad = [...username].find((char) => !/[A-Za-z0-9._@-]/.test(char));
  if (bad !== undefined) return `the username contains '${bad}': use only letters, digits, ".", "_", "-" or "@"`;
  return null;
}

/** Why `password` cannot be a local password, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `the password has ${password.length} characters; use at least ${MIN_PASSWORD_LENGTH} (a sentence of a few words is easy to remember)`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) return `the password has ${password.length} characters; at most ${MAX_PASSWORD_LENGTH} are allowed`;
  return null;
}

const refineWith = (problem: (value: string) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const found = problem(value);
  if (found) ctx.addIssue({ code: 'custom', message: found });
};

export const UsernameSchema = z
  .string({ message: 'username must be a string' })
  .superRefine(refineWith(usernameProblem))
  .meta({ description: '1–64 letters, digits, ".", "_", "-" or "@"', example: 'j.kim' });

export const PasswordSchema = z
  .string({ message: 'password must be a string' })
  .superRefine(refineWith(passwordProblem))
  .meta({ description: `at least ${MIN_PASSWORD_LENGTH} characters` });

export const DisplayNameSchema = z
  .string({ message: 'displayName must be a string' })
  .trim()
  .min(1, { message: 'displayName is empty: leave it out to use the username' })
  .max(MAX_DISPLAY_NAME_LENGTH, { message: `displayName is longer than ${MAX_DISPLAY_NAME_LENGTH} characters` });

/** `POST /api/auth/setup` */
export const SetupBodySchema = z.strictObject({
  username: UsernameSchema,
  password: PasswordSchema,
  displayName: DisplayNameSchema.optional(),
  setupCode: z.string().max(200).optional(),
});
export type SetupBody = z.infer<typeof SetupBodySchema>;

/**
 * `POST /api/auth/login`. The username and password are not checked against their rules here: a
 * malformed username must get the same 401 as an unknown one.
 */
export const LoginBodySchema = z.strictObject({
  username: z.string({ message: 'username must be a string' }).max(200, { message: 'username is too long' }),
  password: z.string({ message: 'password must be a string' }).max(MAX_PASSWORD_LENGTH, { message: 'password is too long' }),
});
export type LoginBody = z.infer<typeof LoginBodySchema>;

/** `POST /api/users` */
export const CreateUserBodySchema = z.strictObject({
  username: UsernameSchema,
  displayName: DisplayNameSchema.optional(),
  role: RoleSchema,
  password: PasswordSchema,
});
export type CreateUserBody = z.infer<typeof CreateUserBodySchema>;

/** `PATCH /api/users/{id}` */
export const UpdateUserBodySchema = z
  .strictObject({
    displayName: DisplayNameSchema.optional(),
    role: RoleSchema.optional(),
    disabled: z.boolean({ message: 'disabled must be true or false' }).optional(),
    password: PasswordSchema.optional(),
    currentPassword: z.string().max(MAX_PASSWORD_LENGTH).optional(),
  })
  .refine((body) => Object.keys(body).some((key) => key !== 'currentPassword'), {
    message: 'nothing to change: give displayName, role, disabled or password',
  });
export type UpdateUserBody = z.infer<typeof UpdateUserBodySchema>;
