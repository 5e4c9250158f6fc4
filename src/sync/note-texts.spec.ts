import { NOTE_TEXTS, noteTexts } from './note-texts';

describe('noteTexts', () => {
  it("keeps SPEC's English texts when nothing is configured", () => {
    const texts = noteTexts();
    expect(texts.wonWithWorkflow('growth')).toBe('Iterable: user updated, onboarding workflow triggered (plan: growth)');
    expect(texts.emailBounced('hard')).toBe('Iterable: email bounced (hard) - verify address');
    expect(texts.inAppClicked('Upgrade')).toBe("Iterable: client clicked 'Upgrade' in in-app message");
    expect(texts.journeyMilestone('setup')).toBe('Iterable: client completed setup');
    expect(texts.noEmail()).toBe(NOTE_TEXTS.noEmail());
  });

  it('replaces only the configured notes, filling their placeholder', () => {
    const texts = noteTexts({
      wonWithWorkflow: 'Iterable: usuario actualizado (plan: {plan}, otra vez {plan})',
      emailBounced: 'Iterable: rebote {reason} $& {other}',
      noEmail: 'Iterable: sin email',
    });
    expect(texts.wonWithWorkflow('growth')).toBe('Iterable: usuario actualizado (plan: growth, otra vez growth)');
    expect(texts.emailBounced('$1 hard')).toBe('Iterable: rebote $1 hard $& {other}');
    expect(texts.noEmail()).toBe('Iterable: sin email');
    expect(texts.wonWithoutWorkflow('growth')).toBe('Iterable: user updated (plan: growth)');
  });
});
