import type { KommoCustomField, KommoLead } from './kommo.types';

/** Reading Kommo's REST custom fields (`custom_fields_values`, which is null rather than [] when empty). */

type WithFields = { custom_fields_values: KommoCustomField[] | null };

export interface TypedEmail {
  value: string;
  enumCode?: string;
}

/** Every EMAIL value (a multitext field: 0..n addresses, each tagged WORK, PRIV, …), trimmed, blanks dropped. */
export function emailsOf(entity: WithFields): TypedEmail[] {
  return (entity.custom_fields_values ?? [])
    .filter((f) => f.field_code === 'EMAIL')
    .flatMap((f) => f.values ?? [])
    .map((v) => ({ value: String(v.value ?? '').trim(), enumCode: v.enum_code ?? undefined }))
    .filter((e) => e.value !== '');
}

/** The identity Iterable knows a contact by: the first WORK email, else the first email. */
export function primaryEmail(contact: WithFields): string | undefined {
  const emails = emailsOf(contact);
  return (emails.find((e) => e.enumCode === 'WORK') ?? emails[0])?.value;
}

/**
 * First value of a custom field. In REST v4 a select field's `value` already is the option's label (the enum id
 * travels separately in `enum_id`), so enum fields need no lookup.
 */
export function fieldValue(entity: WithFields, fieldId: number): string | number | boolean | undefined {
  const field = (entity.custom_fields_values ?? []).find((f) => f.field_id === fieldId);
  const value = field?.values?.[0]?.value;
  return value === null ? undefined : value;
}

/** The lead's main contact, the one Iterable's identity comes from; none when no contact is flagged main. */
export function mainContactId(lead: Pick<KommoLead, '_embedded'>): number | undefined {
  return lead._embedded?.contacts?.find((c) => c.is_main)?.id;
}
