import { parseKommoWebhook, KommoWebhookError } from './kommo-webhook.parser';

const receivedAt = new Date('2024-09-17T11:32:40.000Z');
const RID = '4deb1687-f69f-4f06-930e-95c2947134ca';

/** Encodes like PHP's http_build_query, which is what Kommo sends: brackets as %5B/%5D, spaces as `+`. */
function form(pairs: [string, string | number][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return pairs.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&');
}

/** The `leads[status]` example from developers.kommo.com/docs/webhooks-general, as it travels on the wire. */
const DOCS_STATUS_BODY = [
  'leads%5Bstatus%5D%5B0%5D%5Bid%5D=15318175',
  'leads%5Bstatus%5D%5B0%5D%5Bname%5D=',
  'leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=67548619',
  'leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=67548607',
  'leads%5Bstatus%5D%5B0%5D%5Bprice%5D=1000',
  'leads%5Bstatus%5D%5B0%5D%5Bresponsible_user_id%5D=12345678',
  'leads%5Bstatus%5D%5B0%5D%5Blast_modified%5D=1726572758',
  'leads%5Bstatus%5D%5B0%5D%5Bmodified_user_id%5D=11087123',
  'leads%5Bstatus%5D%5B0%5D%5Bcreated_user_id%5D=11087123',
  'leads%5Bstatus%5D%5B0%5D%5Bdate_create%5D=1726572752',
  'leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=8572511',
  'leads%5Bstatus%5D%5B0%5D%5Baccount_id%5D=12345678',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bid%5D=1118164',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bname%5D=Benefit',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=1000',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bid%5D=1246489',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bname%5D=Select',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=2',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B1%5D%5Bvalues%5D%5B0%5D%5Benum%5D=908107',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B2%5D%5Bid%5D=1246491',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B2%5D%5Bname%5D=Date',
  'leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B2%5D%5Bvalues%5D%5B0%5D=1725915600',
  'leads%5Bstatus%5D%5B0%5D%5Bcreated_at%5D=1726572752',
  'leads%5Bstatus%5D%5B0%5D%5Bupdated_at%5D=1726572758',
  'account%5Bsubdomain%5D=devteam',
  'account%5Bid%5D=12345678',
  'account%5B_links%5D%5Bself%5D=https%3A%2F%2Fdevteam.kommo.com',
].join('&');

/** Shaped like a 2018 amoCRM capture: plain brackets, Cyrillic, `+` spaces, tags, a bare date value, a URL value. */
const CAPTURE_2018_BODY = [
  'leads[status][0][id]=7730423',
  'leads[status][0][name]=%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0+%E2%84%96+42',
  'leads[status][0][status_id]=142',
  'leads[status][0][old_status_id]=22911934',
  'leads[status][0][price]=15000',
  'leads[status][0][pipeline_id]=1179433',
  'leads[status][0][old_pipeline_id]=1179433',
  'leads[status][0][tags][0][id]=73531',
  'leads[status][0][tags][0][name]=%D0%92%D0%98%D0%9F+%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82',
  'leads[status][0][custom_fields][0][id]=401583',
  'leads[status][0][custom_fields][0][name]=%D0%98%D1%81%D1%82%D0%BE%D1%87%D0%BD%D0%B8%D0%BA',
  // The value is a URL whose own query is percent-encoded once more; it must stay one value.
  'leads[status][0][custom_fields][0][values][0][value]=https%3A%2F%2Fshop.example.ru%2Fland%3Futm_source%3Dya%26utm_term%3D%25D0%25BA%26leads%255Bstatus%255D%255B1%255D%255Bid%255D%3D1',
  'leads[status][0][custom_fields][1][id]=401585',
  'leads[status][0][custom_fields][1][name]=%D0%A2%D0%B0%D1%80%D0%B8%D1%84',
  'leads[status][0][custom_fields][1][values][0][value]=Growth+plan',
  'leads[status][0][custom_fields][1][values][0][enum]=822201',
  'leads[status][0][custom_fields][2][id]=401587',
  'leads[status][0][custom_fields][2][name]=%D0%94%D0%B0%D1%82%D0%B0+%D0%BE%D0%BF%D0%BB%D0%B0%D1%82%D1%8B',
  'leads[status][0][custom_fields][2][values][0]=1542067200',
  'leads[status][0][last_modified]=1542100000',
  'leads[status][0][account_id]=17886118',
  'account[subdomain]=etesttask',
  'account[id]=17886118',
  'account[_links][self]=https%3A%2F%2Fetesttask.amocrm.ru',
].join('&');

/** Digital Pipeline "API: Send webhook": five lead fields, no timestamps, no account links. */
const DP_BODY =
  'leads%5Bstatus%5D%5B0%5D%5Bid%5D=24119401&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=143' +
  '&leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=5432101&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=47210003' +
  '&leads%5Bstatus%5D%5B0%5D%5Bold_pipeline_id%5D=5432101&account%5Bid%5D=32427762&account%5Bsubdomain%5D=etesttask';

function statusEntry(i: number, lead: number, status: number, extra: [string, string | number][] = []): [string, string | number][] {
  const p = `leads[status][${i}]`;
  return [[`${p}[id]`, lead], [`${p}[status_id]`, status], [`${p}[pipeline_id]`, 8572511], [`${p}[old_status_id]`, 67548607],
    [`${p}[updated_at]`, 1726572000 + i], ...extra.map(([k, v]): [string, string | number] => [`${p}[${k}]`, v])];
}

describe('parseKommoWebhook', () => {
  it('turns the Kommo docs leads[status] example into one stage-changed job', () => {
    const delivery = parseKommoWebhook(DOCS_STATUS_BODY, receivedAt, RID);

    expect(delivery.account).toEqual({ id: 12345678, subdomain: 'devteam', baseUrl: 'https://devteam.kommo.com' });
    expect(delivery.ignored).toBe(0);
    expect(delivery.changes).toEqual([
      {
        name: 'lead.stage-changed',
        jobId: 'lead-15318175-67548607-67548619-1726572758',
        data: {
          leadId: 15318175,
          statusId: 67548619,
          pipelineId: 8572511,
          oldStatusId: 67548607,
          changedAt: 1726572758,
          accountId: 12345678,
          requestId: RID,
          receivedAt: '2024-09-17T11:32:40.000Z',
        },
      },
    ]);
  });

  it('reads a capture with plain brackets, Cyrillic, + spaces, tags and a URL value as one Won job', () => {
    const delivery = parseKommoWebhook(CAPTURE_2018_BODY, receivedAt);

    expect(delivery.account).toEqual({ id: 17886118, subdomain: 'etesttask', baseUrl: 'https://etesttask.amocrm.ru' });
    expect(delivery.changes).toHaveLength(1);
    const [job] = delivery.changes;
    expect(job.name).toBe('lead.won');
    // last_modified stands in when updated_at is absent
    expect(job.data).toEqual({
      leadId: 7730423, statusId: 142, pipelineId: 1179433, oldStatusId: 22911934, oldPipelineId: 1179433,
      changedAt: 1542100000, accountId: 17886118, receivedAt: receivedAt.toISOString(),
    });
    expect(job.data).not.toHaveProperty('requestId');
    expect(job.jobId).toBe('lead-7730423-22911934-142-1542100000');
  });

  it('reads a Digital Pipeline stage webhook with its five fields', () => {
    const delivery = parseKommoWebhook(DP_BODY, receivedAt, RID);

    expect(delivery.account).toEqual({ id: 32427762, subdomain: 'etesttask' });
    expect(delivery.changes).toEqual([
      {
        name: 'lead.lost',
        jobId: 'lead-24119401-47210003-143-x',
        data: {
          leadId: 24119401, statusId: 143, pipelineId: 5432101, oldStatusId: 47210003, oldPipelineId: 5432101,
          accountId: 32427762, requestId: RID, receivedAt: receivedAt.toISOString(),
        },
      },
    ]);
  });

  it('gives a re-delivery the same jobIds, however late and under whatever request id', () => {
    const first = parseKommoWebhook(DOCS_STATUS_BODY, receivedAt, RID);
    const again = parseKommoWebhook(DOCS_STATUS_BODY, new Date(receivedAt.getTime() + 15 * 60_000), 'other-request');
    const dpAgain = parseKommoWebhook(DP_BODY, new Date(), undefined);

    expect(again.changes.map((c) => c.jobId)).toEqual(first.changes.map((c) => c.jobId));
    expect(dpAgain.changes[0].jobId).toBe(parseKommoWebhook(DP_BODY, receivedAt).changes[0].jobId);
  });

  it('gives a later real move of the same lead between the same stages a new jobId', () => {
    const later = DOCS_STATUS_BODY.replace('%5Bupdated_at%5D=1726572758', '%5Bupdated_at%5D=1726579999');
    expect(parseKommoWebhook(later, receivedAt).changes[0].jobId).toBe('lead-15318175-67548607-67548619-1726579999');
  });

  it('keeps job ids free of ":" (BullMQ refuses them in custom ids)', () => {
    for (const body of [DOCS_STATUS_BODY, CAPTURE_2018_BODY, DP_BODY]) {
      expect(parseKommoWebhook(body, receivedAt).changes[0].jobId).not.toContain(':');
    }
  });

  it('makes 150 jobs, in order, from a delivery of 150 leads', () => {
    const pairs = Array.from({ length: 150 }, (_, i) => statusEntry(i, 9000000 + i, i % 3 === 0 ? 142 : 67548619)).flat();
    const { changes } = parseKommoWebhook(form([...pairs, ['account[id]', 12345678]]), receivedAt);

    expect(changes).toHaveLength(150);
    expect(changes.map((c) => c.data.leadId)).toEqual(Array.from({ length: 150 }, (_, i) => 9000000 + i));
    expect(changes.filter((c) => c.name === 'lead.won')).toHaveLength(50);
  });

  it('keeps numeric order past 1000 entries, where qs hands back an object instead of an array', () => {
    const pairs = Array.from({ length: 1200 }, (_, i) => statusEntry(i, 1 + i, 67548619)).flat();
    const { changes } = parseKommoWebhook(form(pairs), receivedAt);

    expect(changes.map((c) => c.data.leadId)).toEqual(Array.from({ length: 1200 }, (_, i) => 1 + i));
  });

  it('jobs the Won, Lost and other stage of a mixed delivery and counts the task and contact as ignored', () => {
    const body = form([
      ...statusEntry(0, 101, 142),
      ...statusEntry(1, 102, 143),
      ...statusEntry(2, 103, 67548619),
      ['task[add][0][id]', 5501], ['task[add][0][element_id]', 101], ['task[add][0][text]', 'Call back'],
      ['contacts[update][0][id]', 7701], ['contacts[update][0][type]', 'contact'], ['contacts[update][0][name]', 'Иван Петров'],
      ['account[id]', 12345678], ['account[subdomain]', 'devteam'],
    ]);
    const delivery = parseKommoWebhook(body, receivedAt);

    expect(delivery.changes.map((c) => [c.name, c.data.leadId])).toEqual([
      ['lead.won', 101], ['lead.lost', 102], ['lead.stage-changed', 103],
    ]);
    expect(delivery.ignored).toBe(2);
  });

  it('counts every entity of unsynced kinds and lead events without a status change as ignored', () => {
    const body = form([
      ['leads[add][0][id]', 1], ['leads[add][0][status_id]', 142], ['leads[add][0][pipeline_id]', 2],
      ['leads[update][0][id]', 3], ['leads[update][1][id]', 4],
      ['leads[delete][0][id]', 5], ['leads[delete][0][status_id]', 143], ['leads[delete][0][pipeline_id]', 2],
      ['leads[note][0][note][text]', 'hi'],
      ['talk[add][0][talk_id]', 6], ['unsorted[add][0][uid]', 'abc'], ['message[add][0][id]', 'm1'],
      ['catalogs[update][0][id]', 7], ['contacts[add][0][id]', 8], ['contacts[add][0][type]', 'company'],
      ['account[id]', 12345678],
    ]);
    expect(parseKommoWebhook(body, receivedAt)).toEqual({ account: { id: 12345678 }, changes: [], ignored: 10 });
  });

  it('accepts a body with only the account block and kinds it does not know, all ignored', () => {
    const body = 'account%5Bsubdomain%5D=devteam&customers%5Badd%5D%5B0%5D%5Bid%5D=4&widgets%5Binstall%5D%5B0%5D%5Bcode%5D=x';
    expect(parseKommoWebhook(body, receivedAt)).toEqual({ account: { subdomain: 'devteam' }, changes: [], ignored: 2 });
    expect(parseKommoWebhook('account[id]=12345678', receivedAt)).toEqual({ account: { id: 12345678 }, changes: [], ignored: 0 });
  });

  it('treats an empty or zero previous stage as none', () => {
    const body = form([...statusEntry(0, 55, 142).filter(([k]) => !k.endsWith('[old_status_id]')), ['leads[status][0][old_status_id]', '0'], ['leads[status][0][old_pipeline_id]', '']]);
    const [job] = parseKommoWebhook(body, receivedAt).changes;
    expect(job.data).not.toHaveProperty('oldStatusId');
    expect(job.data).not.toHaveProperty('oldPipelineId');
    expect(job.jobId).toBe('lead-55-x-142-1726572000');
  });

  it('drops an account link that is not an http(s) URL', () => {
    const body = `${DP_BODY}&account%5B_links%5D%5Bself%5D=javascript%3Aalert(1)`;
    expect(parseKommoWebhook(body, receivedAt).account).toEqual({ id: 32427762, subdomain: 'etesttask' });
  });

  describe('refuses what it cannot trust, naming the key', () => {
    const expectError = (body: string, message: string) => {
      expect(() => parseKommoWebhook(body, receivedAt)).toThrow(KommoWebhookError);
      expect(() => parseKommoWebhook(body, receivedAt)).toThrow(message);
    };

    it.each([
      ['status_id', 'abc'], ['status_id', '-142'], ['pipeline_id', '0'], ['pipeline_id', '1.5'],
      ['id', '99999999999999999'], ['id', '9007199254740993'], ['updated_at', 'yesterday'], ['old_status_id', '0x10'],
    ])('%s=%s', (field, value) => {
      const body = form([
        ...statusEntry(0, 1, 142), ...statusEntry(1, 2, 142), ...statusEntry(2, 3, 142),
        ...statusEntry(3, 4, 142).filter(([k]) => k !== `leads[status][3][${field}]`), [`leads[status][3][${field}]`, value],
      ]);
      expectError(body, `leads[status][3][${field}] must be a positive integer`);
    });

    it('a missing status_id, or an id sent twice (qs makes it a list)', () => {
      const missing = form(statusEntry(0, 1, 142).filter(([k]) => k !== 'leads[status][0][status_id]'));
      expectError(missing, 'leads[status][0][status_id] must be a positive integer');
      expectError(form([...statusEntry(0, 1, 142), ['leads[status][0][id]', 5]]), 'leads[status][0][id] must be a positive integer');
    });

    it('names the index Kommo sent, even when earlier indexes are missing', () => {
      const body = form([...statusEntry(7, 1, 142).filter(([k]) => !k.endsWith('[pipeline_id]'))]);
      expectError(body, 'leads[status][7][pipeline_id] must be a positive integer');
    });

    it('an account id that is not a positive integer, or an account that is not a block', () => {
      expectError(`${DP_BODY}`.replace('account%5Bid%5D=32427762', 'account%5Bid%5D=acme'), 'account[id] must be a positive integer');
      expectError('account=acme&leads[status][0][id]=1', 'account must be a bracketed object');
    });

    it('a status list or entry that is not bracketed', () => {
      expectError('leads[status]=15318175&account[id]=1', 'leads[status] must be a list of entries');
      expectError('leads[status][0]=15318175&account[id]=1', 'leads[status][0] must be an entry with fields');
    });

    it('a kind sent both bare and bracketed, which qs turns into a list (its status changes would be ignored)', () => {
      expectError(`leads=1&${form(statusEntry(0, 1, 142))}`, 'leads must be keyed by action');
      expectError('leads=1&leads[status][0][id]=1&leads[status][0][status_id]=142&leads[status][0][pipeline_id]=1', 'leads must be keyed by action');
    });

    it.each([
      ['empty', ''], ['blank', '  \r\n'], ['JSON', '{"leads":{"status":[{"id":1}]}}'], ['unknown keys', 'foo=bar&leadz[status][0][id]=1'],
    ])('a body that is %s', (_, body) => expectError(body, 'no Kommo entities in body'));

    it('a body past the parameter limit instead of silently losing its tail', () => {
      const body = `${DOCS_STATUS_BODY}&${'x=1&'.repeat(20000)}`;
      expectError(body, 'more than 20000 parameters');
    });
  });

  it('lets no prototype key through', () => {
    const body = [
      '__proto__[polluted]=yes', 'constructor[prototype][polluted]=yes', 'leads[__proto__][0][id]=1',
      'leads%5Bstatus%5D%5B__proto__%5D%5Bid%5D=1', 'leads[status][0][constructor][prototype][polluted]=yes',
      'leads[status][0][hasOwnProperty]=1', DP_BODY,
    ].join('&');
    const delivery = parseKommoWebhook(body, receivedAt);

    expect(delivery.changes.map((c) => c.data.leadId)).toEqual([24119401]);
    expect(delivery.ignored).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
