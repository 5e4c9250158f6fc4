import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { IterableSimulator } from '../../test/simulators/iterable.simulator';
import { type JsonSchema, bodySchema, validateBody } from '../../test/support/iterable-schema';
import { type AppConfig, ITERABLE_LIMITS } from '../config/config';
import type { RateLimiter } from '../delivery/rate-limit';
import { eventId, iterableDate } from './iterable-format';
import { IterableClient } from './iterable.client';

/**
 * Every body the client sends, held to Iterable's published Swagger spec by our own ajv validator (not by
 * trusting the simulator), plus the project's rules the spec leaves as prose or leaves out: users are
 * identified by email alone, and Swagger types `dataFields` as a bare object, so SPEC's field types need
 * an overlay of their own.
 */
const EMAIL = 'jane.doe@example.com';
const WORKFLOW_ID = 4242;
const LIST_ID = 77;
const ITERABLE_DATE = '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} \\+00:00$';

const byEmail: JsonSchema = { required: ['email'], properties: { email: { type: 'string', format: 'email' } }, not: { required: ['userId'] } };
const eachByEmail = (key: string): JsonSchema => ({ properties: { [key]: { type: 'array', minItems: 1, items: byEmail } } });
/** SPEC's Won fields with their Iterable types; a field's type is fixed forever by its first value. */
const wonFields: JsonSchema = {
  allOf: [byEmail],
  properties: {
    dataFields: {
      type: 'object',
      required: ['firstName', 'lastName', 'companyName', 'plan', 'crmDealId', 'dealValue', 'wonAt', 'isCustomer'],
      properties: {
        firstName: { type: 'string' },
        lastName: { type: 'string' },
        companyName: { type: 'string' },
        plan: { type: 'string' },
        crmDealId: { type: 'string' },
        dealValue: { type: 'number' },
        wonAt: { type: 'string', pattern: ITERABLE_DATE },
        isCustomer: { type: 'boolean' },
      },
    },
  },
};
const PROJECT_RULES: Record<string, JsonSchema> = {
  'POST /api/users/update': wonFields,
  'POST /api/events/track': { allOf: [byEmail], required: ['id', 'createdAt', 'dataFields'] },
  'POST /api/workflows/triggerWorkflow': byEmail,
  'POST /api/lists/subscribe': eachByEmail('subscribers'),
  'POST /api/users/bulkUpdate': eachByEmail('users'),
  'POST /api/users/forget': byEmail,
};

const sim = new IterableSimulator();
const limiter = { acquire: async () => 0, pushBack: async () => undefined } as unknown as RateLimiter;
let sent: { route: string; body: unknown }[] = [];

const wonUser = () => ({
  email: EMAIL,
  dataFields: {
    firstName: 'Jane',
    lastName: 'Doe',
    companyName: 'Acme',
    plan: 'growth',
    crmDealId: '123',
    dealValue: 1000,
    wonAt: iterableDate(new Date('2026-11-26T10:00:00Z')),
    isCustomer: true,
  },
});
const wonEvent = () => ({
  email: EMAIL,
  eventName: 'deal_won',
  id: eventId('deal_won', 123),
  createdAt: 1795687200,
  dataFields: { deal_id: '123', plan: 'growth', value: 1000 },
});

beforeAll(async () => {
  const baseUrl = await sim.start();
  sim.addList(LIST_ID);
  const config = { iterable: { baseUrl, apiKey: 'iterable-test-key', webhookSecret: 's', limits: ITERABLE_LIMITS } } as unknown as AppConfig;
  const client = new IterableClient(config, new HttpService(axios.create()), limiter);
  await client.updateUser(wonUser());
  await client.trackEvent(wonEvent());
  await client.triggerWorkflow({ workflowId: WORKFLOW_ID, email: EMAIL });
  await client.subscribeToList({ listId: LIST_ID, subscribers: [{ email: EMAIL }] });
  await client.bulkUpdateUsers([wonUser(), { email: 'john@example.com', dataFields: { plan: 'starter', isCustomer: true } }]);
  await client.forgetUser(EMAIL);
  sent = sim.calls.map((c) => ({ route: `${c.method} ${c.path}`, body: c.body }));
});
afterAll(() => sim.stop());

it('captures one body per endpoint of a realistic Won, each accepted by the simulator', () => {
  expect(sent.map((s) => s.route)).toEqual(Object.keys(PROJECT_RULES));
  expect(sim.calls.every((c) => c.status === 200)).toBe(true);
});

it.each(Object.keys(PROJECT_RULES))('%s: body matches the Swagger definition and the project rules', (route) => {
  const [method, path] = route.split(' ');
  const { body } = sent.find((s) => s.route === route)!;
  expect(bodySchema(method, path)).toBeDefined();
  expect(validateBody(method, path, body).errors).toEqual({});
  expect(validateBody(method, path, body, PROJECT_RULES[route]).errors).toEqual({});
});

describe('the validators can fail', () => {
  it('rejects a string createdAt on events/track (Swagger: int64)', () => {
    const r = validateBody('POST', 'events/track', { ...wonEvent(), createdAt: '2026-11-26 10:00:00 +00:00' });
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveProperty(['obj.createdAt']);
  });

  it('rejects null where Swagger wants a number', () => {
    expect(validateBody('POST', 'workflows/triggerWorkflow', { workflowId: null, email: EMAIL }).valid).toBe(false);
    expect(validateBody('POST', 'lists/subscribe', { listId: 1.5, subscribers: [] }).valid).toBe(false);
  });

  it('rejects dealValue: null through the project overlay; Swagger alone types dataFields as a bare object', () => {
    const body = wonUser();
    const bad = { ...body, dataFields: { ...body.dataFields, dealValue: null } };
    expect(validateBody('POST', 'users/update', bad).valid).toBe(true);
    const r = validateBody('POST', 'users/update', bad, wonFields);
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveProperty(['obj.dataFields.dealValue']);
  });

  it('rejects a body that names the user by both email and userId, or by neither', () => {
    expect(validateBody('POST', 'users/forget', { email: EMAIL, userId: 'u1' }, byEmail).valid).toBe(false);
    expect(validateBody('POST', 'users/forget', {}, byEmail).valid).toBe(false);
    expect(validateBody('POST', 'users/forget', {}).valid).toBe(true);
  });

  it('rejects an ISO wonAt that would fix the field as a string instead of a date', () => {
    const body = wonUser();
    expect(validateBody('POST', 'users/update', { ...body, dataFields: { ...body.dataFields, wonAt: '2026-11-26T10:00:00Z' } }, wonFields).valid).toBe(false);
  });
});

it('knows which operations take no body (DELETE users/{email}, GET users/getFields)', () => {
  expect(bodySchema('DELETE', 'users/{email}')).toBeUndefined();
  expect(bodySchema('GET', 'users/getFields')).toBeUndefined();
});
