/**
 * What a mapped Iterable field may be called. Iterable's API accepts almost any name, but its Data Schema UI
 * refuses some, and a field that cannot be managed there cannot be fixed later: refuse them at boot instead.
 */

const MAX_NAME_LENGTH = 128;

/** Fields the Won/Lost sync writes itself (SPEC), and the identities: a mapping must not overwrite them. */
export const BUILT_IN_TARGETS = [
  'firstName',
  'lastName',
  'companyName',
  'plan',
  'crmDealId',
  'dealValue',
  'wonAt',
  'isCustomer',
  'churnedAt',
  'email',
  'userId',
] as const;

/** Fields Iterable maintains on every profile. */
const ITERABLE_MANAGED = ['profileUpdatedAt', 'signupDate', 'signupSource', 'emailListIds', 'itblInternal'];

/** Why Iterable would refuse `name` as a field name, or undefined when it is fine. */
export function iterableNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (name.trim() !== name) return 'has leading or trailing spaces (Iterable names are space-sensitive)';
  if (/^\d+$/.test(name)) return 'is all digits, which Iterable refuses';
  if (name.startsWith('_')) return 'starts with "_", which Iterable refuses';
  if (/[,#]/.test(name)) return 'contains "," or "#", which Iterable refuses';
  if (name.includes('.')) return 'contains "." (a nested field), which this mapping does not support: use a flat name';
  return undefined;
}

/** Why `name` is taken by the built-in sync or by Iterable itself, or undefined. */
export function reservedTargetProblem(name: string): string | undefined {
  if ((BUILT_IN_TARGETS as readonly string[]).includes(name)) return 'is reserved: the built-in Won/Lost sync writes it';
  if (ITERABLE_MANAGED.includes(name)) return 'is reserved: Iterable maintains it';
  return undefined;
}
