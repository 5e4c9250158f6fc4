import type { KommoHttp } from './kommo-http';

/**
 * The service syncs lead status changes only (SPEC: Won, Lost, other stages), so it subscribes to `status_lead`
 * alone: `update_lead` etc. would only be answered "ignored" and spend Kommo's 100-failure budget on nothing.
 */
export const SYNCED_WEBHOOK_SETTINGS = ['status_lead'];
/** The path of the service's Kommo webhook; the token segment after it is the secret. */
export const KOMMO_WEBHOOK_PATH = '/webhooks/kommo/';

export interface KommoWebhook {
  id: number;
  destination: string;
  settings: string[];
  /** Kommo sets it silently after >100 failed deliveries in 2 h (or an IP block); only `GET /webhooks` shows it. */
  disabled: boolean;
  sort?: number;
}

/** Account webhook management (`/api/v4/webhooks`, admin rights and an Advanced plan or above). */
export class KommoWebhooks {
  constructor(private readonly api: KommoHttp) {}

  async list(): Promise<KommoWebhook[]> {
    const body = await this.api.call<{ _embedded?: { webhooks?: KommoWebhook[] } }>({ method: 'GET', path: '/webhooks', endpoint: 'GET /webhooks' });
    return body?._embedded?.webhooks ?? [];
  }

  /** Posting a known destination again updates that hook (Kommo keys hooks by destination). */
  async register(destination: string, settings = SYNCED_WEBHOOK_SETTINGS): Promise<KommoWebhook> {
    const data = { destination, settings, sort: 10 };
    const hook = await this.api.call<KommoWebhook>({ method: 'POST', path: '/webhooks', endpoint: 'POST /webhooks', data });
    if (!hook) throw new Error('Kommo answered POST /webhooks without a body');
    return hook;
  }
}

/** The destination for a public base URL such as `https://sync.example.com`. */
export function serviceDestination(publicUrl: string, webhookToken: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${KOMMO_WEBHOOK_PATH}${webhookToken}`;
}

/** Whether a hook points at this deployment: our path with our token, whatever the host in front of us. */
export function isServiceDestination(destination: string, webhookToken: string): boolean {
  try {
    return new URL(destination).pathname.replace(/\/+$/, '') === `${KOMMO_WEBHOOK_PATH}${webhookToken}`;
  } catch {
    return false;
  }
}

/** A destination fit for logs and output: the token segment (and any query) hidden. */
export function maskDestination(destination: string): string {
  try {
    const u = new URL(destination);
    const at = u.pathname.indexOf(KOMMO_WEBHOOK_PATH);
    const path = at < 0 ? '/…' : `${u.pathname.slice(0, at + KOMMO_WEBHOOK_PATH.length)}[redacted]`;
    return `${u.origin}${path}`;
  } catch {
    return '[unparseable destination]';
  }
}
