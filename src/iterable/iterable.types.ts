/** Iterable request and response bodies, named after the definitions in Iterable's published Swagger spec. */

export type DataFields = Record<string, unknown>;

/** ApiUserUpdateRequest */
export interface UserUpdateRequest {
  email: string;
  dataFields: DataFields;
  mergeNestedObjects?: boolean;
}

/** TrackRequest: `id` makes a retried event update instead of duplicating; `createdAt` is unix seconds. */
export interface TrackEventRequest {
  email: string;
  eventName: string;
  id: string;
  createdAt: number;
  dataFields: DataFields;
}

/** TriggerWorkflowRequest */
export interface TriggerWorkflowRequest {
  workflowId: number;
  email: string;
  dataFields?: DataFields;
}

/** SubscribeRequest */
export interface ListSubscribeRequest {
  listId: number;
  subscribers: { email: string; dataFields?: DataFields }[];
  updateExistingUsersOnly?: boolean;
}

/** IterableApiResponse */
export interface IterableApiResponse {
  msg: string;
  code: string;
  params?: Record<string, unknown> | null;
}

/** UserBulkUpdateListResponse (lists/subscribe, users/bulkUpdate) */
export interface BulkListResponse {
  successCount: number;
  failCount: number;
  failedUpdates?: Record<string, string[]>;
  [k: string]: unknown;
}
