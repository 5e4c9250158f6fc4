import { parseIterableWebhook, IterableWebhookError, type IterableJobRequest, type IterableParseResult } from './iterable-webhook.parser';

const receivedAt = new Date('2021-06-01T10:00:00.000Z');
const RECEIVED_UNIX = 1622541600;
const CREATED_UNIX = 1584747255; // 2020-03-20 23:34:15 +00:00

/** Shaped like the system-webhook fixtures in Iterable's docs (fact sheet §5): dataFields repeats the email. */
function systemEvent(eventName: string, dataFields: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    email: 'docs@iterable.com',
    eventName,
    dataFields: {
      campaignId: 1089024,
      templateId: 1526112,
      messageId: 'bf008db8ab194b65816398c05bf30f99',
      emailId: 'c1089024:t1526112:docs@iterable.com',
      createdAt: '2020-03-20 23:34:15 +00:00',
      campaignName: 'My test campaign',
      templateName: 'My test template',
      workflowId: null,
      workflowName: null,
      channelId: 27447,
      messageTypeId: 31082,
      experimentId: null,
      labels: [],
      locale: null,
      email: 'docs@iterable.com',
      ...dataFields,
    },
    ...top,
  };
}

const unsubscribe = () =>
  systemEvent('emailUnSubscribe', { unsubSource: 'EmailLink', emailListIds: [], channelIds: [27447], emailSubject: 'Upcoming events!' });
const journey = (extra: Record<string, unknown> = {}) => ({
  email: 'ana@example.com', eventName: 'journeyMilestone', milestone: 'Onboarding completed', workflowId: '76786', workflowName: 'Onboarding', ...extra,
});

function job(result: IterableParseResult): IterableJobRequest {
  if (result.kind !== 'job') throw new Error(`expected a job, got ${JSON.stringify(result)}`);
  return result.job;
}
const parse = (body: unknown) => parseIterableWebhook(body, receivedAt);
const jobOf = (body: unknown) => job(parse(body));

describe('parseIterableWebhook', () => {
  it('turns an emailUnSubscribe webhook into an email-unsubscribed job dated by its createdAt', () => {
    const { name, data, jobId } = job(parseIterableWebhook(unsubscribe(), receivedAt, 'req-1'));

    expect(name).toBe('iterable.email-unsubscribed');
    expect(data).toEqual({
      email: 'docs@iterable.com', eventName: 'emailUnSubscribe', occurredAt: CREATED_UNIX, requestId: 'req-1',
      receivedAt: '2021-06-01T10:00:00.000Z',
    });
    expect(jobId).toMatch(/^it-[0-9a-f]{32}$/);
  });

  it.each(['emailUnsubscribe', 'EMAILUNSUBSCRIBE', 'emailunsubscribe'])('matches %s case-insensitively', (eventName) => {
    const { name, data } = jobOf({ ...unsubscribe(), eventName });
    expect(name).toBe('iterable.email-unsubscribed');
    expect(data.eventName).toBe(eventName);
  });

  it('treats a hosted unsubscribe click (with a top-level userId) as an email unsubscribe', () => {
    const body = systemEvent('hostedUnsubscribeClick', { url: 'https://links.iterable.com/u/click?_t=abc', ip: '203.0.113.7', city: 'Lisbon' }, { userId: '1' });
    expect(jobOf(body).name).toBe('iterable.email-unsubscribed');
  });

  it('uses a trimmed, lowercased email as the identity, falling back to dataFields.email', () => {
    expect(jobOf({ ...unsubscribe(), email: '  Docs@Iterable.COM ' }).data.email).toBe('docs@iterable.com');
    const { email: _, ...withoutTop } = unsubscribe();
    expect(jobOf(withoutTop).data.email).toBe('docs@iterable.com');
    expect(jobOf({ ...unsubscribe(), email: '' }).data.email).toBe('docs@iterable.com');
  });

  describe('SMS', () => {
    const sms = (smsMessage: unknown) =>
      ({ email: 'ana@example.com', eventName: 'smsReceived', dataFields: { fromPhoneNumber: '+15555550100', toPhoneNumber: '+15555550199', smsMessage, createdAt: '2020-03-20 23:34:15 +00:00', email: 'ana@example.com' } });

    it.each(['Stop ', 'stop', 'STOPALL', ' Unsubscribe', 'cancel', 'End', 'quit'])('an smsReceived of %j unsubscribes', (text) => {
      expect(jobOf(sms(text)).name).toBe('iterable.sms-unsubscribed');
    });

    it.each(['Yes', 'stop please', 'Stopp', ''])('an smsReceived of %j is ignored', (text) => {
      expect(parse(sms(text))).toEqual({ kind: 'ignored', eventName: 'smsReceived' });
    });

    it('an smsUnSubscribe unsubscribes; a non-text smsMessage is refused', () => {
      expect(jobOf({ email: 'ana@example.com', eventName: 'smsUnSubscribe' }).name).toBe('iterable.sms-unsubscribed');
      expect(() => parse(sms(42))).toThrow('dataFields.smsMessage must be a string');
    });
  });

  describe('emailBounce reason', () => {
    it.each([
      [{ recipientState: 'HardBounce', bounceMessage: '550 5.1.1 user unknown', status: '5.1.1' }, {}, 'HardBounce'],
      [{ bounceType: 'Soft' }, {}, 'Soft'],
      [{}, { bounceType: 'Block' }, 'Block'],
      [{ recipientState: '' }, {}, 'unknown'],
    ])('dataFields %j, top %j → %s', (dataFields, top, reason) => {
      const { name, data } = jobOf(systemEvent('emailBounce', dataFields, top));
      expect(name).toBe('iterable.email-bounced');
      expect(data).toMatchObject({ reason });
    });
  });

  it('turns an emailComplaint into an email-complained job', () => {
    expect(jobOf(systemEvent('emailComplaint', { recipientState: 'Complaint' })).name).toBe('iterable.email-complained');
  });

  describe('inAppClick target', () => {
    it.each([
      [{ buttonIdentifier: 'Upgrade now', clickedUrl: 'https://app.example.com/upgrade' }, 'Upgrade now'],
      [{ clickedUrl: 'https://app.example.com/upgrade', url: 'https://other' }, 'https://app.example.com/upgrade'],
      [{ url: 'iterable://dismiss' }, 'iterable://dismiss'],
      [{}, 'unknown'],
    ])('%j → %s', (dataFields, target) => {
      const { name, data } = jobOf(systemEvent('inAppClick', dataFields));
      expect(name).toBe('iterable.inapp-clicked');
      expect(data).toMatchObject({ target });
    });
  });

  describe('journey milestone', () => {
    it('reads top-level fields and turns a numeric-string workflowId into a number', () => {
      const { name, data } = jobOf(journey());
      expect(name).toBe('iterable.journey-milestone');
      expect(data).toEqual({
        email: 'ana@example.com', eventName: 'journeyMilestone', milestone: 'Onboarding completed', workflowId: 76786,
        workflowName: 'Onboarding', occurredAt: RECEIVED_UNIX, receivedAt: receivedAt.toISOString(),
      });
    });

    it('reads the fields from dataFields too, and drops a workflowId Handlebars left blank', () => {
      const body = { email: 'ana@example.com', eventName: 'JourneyMilestone', dataFields: { milestone: 'Trial day 7', workflowId: '' } };
      expect(jobOf(body).data).toEqual(expect.not.objectContaining({ workflowId: expect.anything() }));
      expect(jobOf(body).data).toMatchObject({ milestone: 'Trial day 7' });
      expect(jobOf(journey({ workflowId: 76786 })).data).toMatchObject({ workflowId: 76786 });
    });

    it.each([
      [{ milestone: undefined }, 'milestone must be a non-empty string'],
      [{ milestone: '   ' }, 'milestone must be a non-empty string'],
      [{ milestone: 7 }, 'milestone must be a string'],
      [{ workflowId: 'abc' }, 'workflowId must be a positive integer'],
      [{ workflowId: 1.5 }, 'workflowId must be a positive integer'],
      [{ workflowName: ['x'] }, 'workflowName must be a string'],
    ])('refuses %j', (extra, message) => {
      expect(() => parse(journey(extra))).toThrow(IterableWebhookError);
      expect(() => parse(journey(extra))).toThrow(message);
    });
  });

  describe('occurredAt', () => {
    const at = (createdAt: unknown) => jobOf(systemEvent('emailComplaint', { createdAt })).data.occurredAt;

    it.each([
      ['2020-03-20 23:34:15 +00:00', CREATED_UNIX],
      ['2020-03-20 23:34:15 +02:00', CREATED_UNIX - 7200],
      ['2020-03-20T23:34:15.250Z', CREATED_UNIX],
      ['2020-03-20 23:34:15', CREATED_UNIX],
      [CREATED_UNIX, CREATED_UNIX],
      [CREATED_UNIX * 1000 + 999, CREATED_UNIX],
      [String(CREATED_UNIX), CREATED_UNIX],
      ['last Tuesday', RECEIVED_UNIX],
      [null, RECEIVED_UNIX],
    ])('%j → %d', (createdAt, expected) => expect(at(createdAt)).toBe(expected));

    it('refuses a createdAt that is neither text nor a number', () => {
      expect(() => at({ date: '2020-03-20' })).toThrow('dataFields.createdAt must be a date string or unix seconds');
    });
  });

  describe('refuses garbage with a message that says what is wrong', () => {
    it.each([
      ['an array', [unsubscribe()], 'body must be a JSON object'],
      ['null', null, 'body must be a JSON object'],
      ['a string', '{"eventName":"emailUnSubscribe"}', 'body must be a JSON object'],
      ['a numeric eventName', { ...unsubscribe(), eventName: 42 }, 'eventName must be a string'],
      ['no eventName', { email: 'docs@iterable.com' }, 'eventName must be a string'],
      ['no email anywhere', { eventName: 'emailUnSubscribe', dataFields: { createdAt: '2020-03-20 23:34:15 +00:00' } }, 'email (or dataFields.email) is required'],
      ['an email that is not one', { ...unsubscribe(), email: 'docs at iterable' }, 'email must be an email address'],
      ['a numeric email', { ...unsubscribe(), email: 12 }, 'email must be a string'],
      ['dataFields as an array', { ...unsubscribe(), dataFields: [] }, 'dataFields must be an object'],
      ['dataFields as a string', { ...unsubscribe(), dataFields: 'x' }, 'dataFields must be an object'],
      ['a messageId object', systemEvent('emailBounce', { messageId: { id: 1 } }), 'dataFields.messageId must be a string'],
    ])('%s', (_, body, message) => {
      expect(() => parse(body)).toThrow(IterableWebhookError);
      expect(() => parse(body)).toThrow(message);
    });
  });

  it.each(['emailOpen', 'pushSend', 'emailSend', 'inAppOpen', 'purchase'])('acknowledges %s without a job', (eventName) => {
    expect(parse(systemEvent(eventName))).toEqual({ kind: 'ignored', eventName });
  });

  it('ignores an unsynced event even without an email (userId-only projects send those)', () => {
    expect(parse({ eventName: 'pushOpen', userId: 'u-42', dataFields: {} })).toEqual({ kind: 'ignored', eventName: 'pushOpen' });
  });

  describe('jobId', () => {
    const id = (body: unknown) => jobOf(body).jobId;

    it('is the same for a re-delivery, whatever the email case or receipt time', () => {
      expect(id(unsubscribe())).toBe(id(unsubscribe()));
      expect(id({ ...unsubscribe(), email: 'DOCS@iterable.com' })).toBe(id(unsubscribe()));
      expect(job(parseIterableWebhook(unsubscribe(), new Date(), 'other')).jobId).toBe(id(unsubscribe()));
    });

    it('differs for another message, another time or another event', () => {
      const other = systemEvent('emailUnSubscribe', { messageId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', unsubSource: 'EmailLink' });
      expect(id(other)).not.toBe(id(unsubscribe()));
      expect(id(systemEvent('emailComplaint', { createdAt: '2020-03-20 23:34:16 +00:00' }))).not.toBe(id(systemEvent('emailComplaint')));
      expect(id(systemEvent('emailComplaint'))).not.toBe(id(systemEvent('emailBounce')));
    });

    it('is stable for a journey body without messageId or createdAt, whatever its key order', () => {
      const reordered = { workflowName: 'Onboarding', workflowId: '76786', milestone: 'Onboarding completed', eventName: 'journeyMilestone', email: 'ana@example.com' };
      expect(id(reordered)).toBe(id(journey()));
      expect(id(journey({ milestone: 'Trial day 7' }))).not.toBe(id(journey()));
    });

    it('never contains ":" (BullMQ refuses it in custom ids)', () => {
      for (const body of [unsubscribe(), journey(), systemEvent('inAppClick', { clickedUrl: 'https://a.example/x' })]) {
        expect(id(body)).toMatch(/^it-[0-9a-f]{32}$/);
      }
    });
  });
});
