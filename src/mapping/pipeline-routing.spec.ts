import type { AppConfig } from '../config/config';
import { parseSyncConfig } from '../config/sync-config';
import { emitsStageEvent, onboardingFor } from './pipeline-routing';

function configWith(yaml: string, env: { workflowId?: number; listId?: number } = {}): AppConfig {
  const r = parseSyncConfig(yaml);
  if (!('config' in r)) throw new Error(r.problems.join('\n'));
  // As loadConfig merges them: the environment's ids, else the file's top-level ones.
  const iterable = {
    onboardingWorkflowId: env.workflowId ?? r.config.onboardingWorkflowId,
    customersListId: env.listId ?? r.config.customersListId,
  };
  return { mapping: r.config, iterable } as AppConfig;
}

const FILE = `
onboarding_workflow_id: 100
customers_list_id: 200
stage_events: [11, 12]
pipelines:
  1: { onboarding_workflow_id: 101, customers_list_id: 201 }
  2: { onboarding_workflow_id: null, customers_list_id: }
  3: { stage_events: all }
  4: { stage_events: none }
`;

describe('onboardingFor', () => {
  it("a pipeline's own ids win; other pipelines get the default; null turns the default off", () => {
    const config = configWith(FILE);
    expect(onboardingFor(config, 1)).toEqual({ workflowId: 101, listId: 201 });
    expect(onboardingFor(config, 2)).toEqual({ workflowId: undefined, listId: undefined });
    expect(onboardingFor(config, 9)).toEqual({ workflowId: 100, listId: 200 });
  });

  it('environment ids replace the default, not a pipeline of its own', () => {
    const config = configWith(FILE, { workflowId: 900, listId: 901 });
    expect(onboardingFor(config, 9)).toEqual({ workflowId: 900, listId: 901 });
    expect(onboardingFor(config, 1)).toEqual({ workflowId: 101, listId: 201 });
  });

  it('without a mapping file: the environment ids for every pipeline', () => {
    expect(onboardingFor({ iterable: { onboardingWorkflowId: 5 } } as AppConfig, 1)).toEqual({ workflowId: 5, listId: undefined });
  });
});

describe('emitsStageEvent', () => {
  it("uses the pipeline's rule, else the file's, else all", () => {
    const config = configWith(FILE);
    expect(emitsStageEvent(config, 9, 11)).toBe(true);
    expect(emitsStageEvent(config, 9, 13)).toBe(false);
    expect(emitsStageEvent(config, 3, 13)).toBe(true);
    expect(emitsStageEvent(config, 4, 11)).toBe(false);
    expect(emitsStageEvent({} as AppConfig, 9, 13)).toBe(true);
  });
});
