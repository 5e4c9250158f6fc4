/** Kommo note texts. SPEC.md fixes the English defaults; tests outside the project compare them verbatim. */
export const NOTE_TEXTS = {
  wonWithWorkflow: (plan: string) => `Iterable: user updated, onboarding workflow triggered (plan: ${plan})`,
  wonWithoutWorkflow: (plan: string) => `Iterable: user updated (plan: ${plan})`,
  noEmail: () => 'Iterable: not synced - the main contact of this deal has no email address',
  emailUnsubscribed: () => 'Iterable: client unsubscribed from email mailing',
  smsUnsubscribed: () => 'Iterable: client unsubscribed from SMS mailing',
  emailBounced: (reason: string) => `Iterable: email bounced (${reason}) - verify address`,
  emailComplained: () => 'Iterable: client marked the email as spam',
  inAppClicked: (target: string) => `Iterable: client clicked '${target}' in in-app message`,
  journeyMilestone: (milestone: string) => `Iterable: client completed ${milestone}`,
  gdprForgotten: () => 'Iterable: client data forgotten (GDPR request)',
  gdprDeleted: () => 'Iterable: client data deleted (GDPR request)',
};

export const UNSUBSCRIBED_TAG = 'iterable-unsubscribed';

export type NoteKey = keyof typeof NOTE_TEXTS;
export type NoteTexts = typeof NOTE_TEXTS;
/** Templates from the mapping file, by note; each replaces SPEC's English default for that note only. */
export type NoteTemplates = Partial<Record<NoteKey, string>>;

/** The one placeholder each note may use (`{plan}` …); a template may leave it out. */
export const NOTE_PLACEHOLDERS: Record<NoteKey, readonly string[]> = {
  wonWithWorkflow: ['plan'],
  wonWithoutWorkflow: ['plan'],
  noEmail: [],
  emailUnsubscribed: [],
  smsUnsubscribed: [],
  emailBounced: ['reason'],
  emailComplained: [],
  inAppClicked: ['target'],
  journeyMilestone: ['milestone'],
  gdprForgotten: [],
  gdprDeleted: [],
};

/** Note texts with the configured templates in place of the defaults (e.g. a Spanish-speaking sales team). */
export function noteTexts(templates: NoteTemplates = {}): NoteTexts {
  const texts: Record<NoteKey, (arg: string) => string> = { ...NOTE_TEXTS };
  for (const [key, template] of Object.entries(templates) as [NoteKey, string][]) {
    const [name] = NOTE_PLACEHOLDERS[key];
    texts[key] = (arg) => template.replace(/\{(\w+)\}/g, (whole, p: string) => (p === name ? arg : whole));
  }
  return texts as NoteTexts;
}
