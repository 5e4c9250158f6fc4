import { errorListener, type ErrorSink } from './error-log';

describe('errorListener', () => {
  function setup(everyMs = 1000) {
    const lines: { details: Record<string, unknown>; message: string }[] = [];
    const sink: ErrorSink = { error: (details, message) => lines.push({ details, message }) };
    let now = 0;
    const listener = errorListener('queue kommo-to-iterable', sink, everyMs, () => now);
    return { lines, listener, advance: (ms: number) => (now += ms) };
  }
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

  it('logs the first error at once, naming its source and code', () => {
    const { lines, listener } = setup();
    listener(refused());
    expect(lines).toEqual([
      {
        details: { source: 'queue kommo-to-iterable', err: 'connect ECONNREFUSED 127.0.0.1:6379', code: 'ECONNREFUSED', heldBack: 0 },
        message: 'queue kommo-to-iterable: connect ECONNREFUSED 127.0.0.1:6379',
      },
    ]);
  });

  it('holds back repeats within the interval and counts them on the next line', () => {
    const { lines, listener, advance } = setup(1000);
    listener(refused());
    for (let i = 0; i < 5; i++) {
      advance(100);
      listener(refused());
    }
    expect(lines).toHaveLength(1);
    advance(600);
    listener(new Error('Connection is closed.'));
    expect(lines).toHaveLength(2);
    expect(lines[1].message).toBe('queue kommo-to-iterable: Connection is closed. (5 more since the last line)');
    expect(lines[1].details.heldBack).toBe(5);
  });
});
