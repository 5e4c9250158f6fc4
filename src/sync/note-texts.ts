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
};

export const UNSUBSCRIBED_TAG = 'iterable-unsubscribed';
