import { Harness, json, SECRETS, startHarness, waitFor } from '../support/harness';

const PIPELINE = { id: 7101, name: 'Sales', statuses: [{ id: 401, name: 'New' }] };

/** A system webhook body shaped like Iterable's (dataFields repeats email, createdAt is a date string). */
function systemEvent(eventName: string, email: string, dataFields: Record<string, unknown> = {}) {
  return {
    email,
    eventName,
    dataFields: { email, createdAt: '2026-11-20 10:15:00 +00:00', messageId: `${eventName}-${email}-${JSON.stringify(dataFields).length}`, campaignId: 12, ...dataFields },
  };
}

describe('Iterable → Kommo', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    h.kommo.addPipeline(PIPELINE);
  });
  afterAll(() => h.close());

  const notesOn = (entity: 'leads' | 'contacts', id: number) =>
    h.kommo.notes(entity, id).map((n: { text?: string; params?: { text: string } }) => n.text ?? n.params?.text);

  /** A contact with two leads; the second was updated later and is the one sales works on. */
  function seedClient(email: string) {
    const contact = h.kommo.addContact({ name: 'Client', first_name: 'C', last_name: 'L', emails: [{ value: email, enum_code: 'WORK' }], updated_at: 1780000000 });
    const older = h.kommo.addLead({ name: 'old deal', status_id: 143, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], updated_at: 1700000000 });
    const latest = h.kommo.addLead({ name: 'new deal', status_id: 401, pipeline_id: PIPELINE.id, contacts: [{ id: contact, is_main: true }], updated_at: 1785000000 });
    return { contact, older, latest };
  }

  async function deliver(body: unknown) {
    const res = await h.postIterable(body);
    expect(res.status).toBe(200);
    return json(res);
  }

  it.each([
    ['emailUnSubscribe', { unsubSource: 'EmailLink' }, 'Iterable: client unsubscribed from email mailing'],
    ['hostedUnsubscribeClick', { url: 'https://links.example.com/u' }, 'Iterable: client unsubscribed from email mailing'],
    ['smsReceived', { smsMessage: ' Stop ', fromPhoneNumber: '+15550001' }, 'Iterable: client unsubscribed from SMS mailing'],
    ['emailBounce', { recipientState: 'HardBounce', bounceMessage: '550 5.1.1 no such user' }, 'Iterable: email bounced (HardBounce) - verify address'],
    ['emailComplaint', {}, 'Iterable: client marked the email as spam'],
    ['inAppClick', { buttonIdentifier: 'Book a demo' }, "Iterable: client clicked 'Book a demo' in in-app message"],
  ])('%s → a note on the most recently updated lead', async (eventName, fields, text) => {
    const email = `${eventName.toLowerCase()}@client.io`;
    const { latest, older, contact } = seedClient(email);
    expect(await deliver(systemEvent(eventName, email, fields))).toEqual({ enqueued: 1, duplicate: 0, ignored: 0 });
    await waitFor(`note for ${eventName}`, () => notesOn('leads', latest).length > 0);
    expect(notesOn('leads', latest)).toEqual([text]);
    expect(notesOn('leads', older)).toEqual([]);
    if (eventName !== 'smsReceived' && text.includes('email mailing')) {
      await waitFor('unsubscribed tag', () => h.kommo.contactTags(contact).includes('iterable-unsubscribed'));
    }
  });

  it('journey milestone webhook → "client completed <milestone>"', async () => {
    const email = 'journey@client.io';
    const { latest } = seedClient(email);
    await deliver({ email, eventName: 'journeyMilestone', milestone: 'Onboarding step 3', workflowId: 881, workflowName: 'Onboarding' });
    await waitFor('milestone note', () => notesOn('leads', latest).length > 0);
    expect(notesOn('leads', latest)).toEqual(['Iterable: client completed Onboarding step 3']);
  });

  it('event names are compared case-insensitively', async () => {
    const email = 'upper@client.io';
    const { latest } = seedClient(email);
    await deliver(systemEvent('EMAILUNSUBSCRIBE', email));
    await waitFor('note', () => notesOn('leads', latest).length > 0);
    expect(notesOn('leads', latest)).toEqual(['Iterable: client unsubscribed from email mailing']);
  });

  it('a contact with no lead gets the note itself', async () => {
    const email = 'nolead@client.io';
    const contact = h.kommo.addContact({ name: 'Solo', emails: [{ value: email, enum_code: 'WORK' }] });
    await deliver(systemEvent('emailComplaint', email));
    await waitFor('contact note', () => notesOn('contacts', contact).length > 0);
    expect(notesOn('contacts', contact)).toEqual(['Iterable: client marked the email as spam']);
  });

  it('an email that only fuzzy-matches another contact leaves no note on the wrong one; the job completes as skipped', async () => {
    const other = seedClient('anna@other.org');
    const before = h.kommo.calls.filter((c) => c.method === 'POST').length;
    await deliver(systemEvent('emailBounce', 'anna@example.com', { recipientState: 'HardBounce' }));
    const queue = h.app.get('BullQueue_iterable-to-kommo');
    const done = await waitFor('the skipped job', async () => {
      const jobs = await queue.getJobs(['completed']);
      return jobs.find((j: { data: { email: string } }) => j.data.email === 'anna@example.com');
    });
    expect(done.returnvalue).toEqual({ outcome: 'skipped', reason: 'no Kommo contact has the email anna@example.com' });
    expect(notesOn('leads', other.latest)).toEqual([]);
    expect(h.kommo.calls.filter((c) => c.method === 'POST').length).toBe(before);
    expect(h.kommo.calls.some((c) => c.path === '/api/v4/contacts' && String(c.query?.query ?? '').includes('anna@example.com'))).toBe(true);
  });

  it('unsynced event types are acknowledged and ignored; bad auth 401; not JSON 400', async () => {
    expect(await deliver(systemEvent('emailOpen', 'x@client.io'))).toMatchObject({ enqueued: 0, ignored: 1 });
    expect((await h.postIterable(systemEvent('emailBounce', 'x@client.io'), 'wrong')).status).toBe(401);
    expect((await h.postIterable(systemEvent('emailBounce', 'x@client.io'), `Basic ${SECRETS.iterableSecret}`)).status).toBe(200);
    const notJson = await fetch(`${h.url}/webhooks/iterable`, { method: 'POST', headers: { authorization: SECRETS.iterableSecret, 'content-type': 'text/plain' }, body: 'hello' });
    expect(notJson.status).toBe(400);
    const brokenJson = await fetch(`${h.url}/webhooks/iterable`, { method: 'POST', headers: { authorization: SECRETS.iterableSecret, 'content-type': 'application/json' }, body: '{"email":' });
    expect(brokenJson.status).toBe(400);
    const noEmail = await h.postIterable({ eventName: 'emailBounce', dataFields: {} });
    expect(noEmail.status).toBe(400);
  });
});
