/** Shared by the hostile-case tests: a neighbour that must keep answering while another function misbehaves. */
import assert from 'node:assert/strict';
import type { TestHost } from '../../helpers/host.js';

export const NEIGHBOUR = 'export default { fetch() { return new Response("still here"); } };';

/** Polls the neighbour every 20 ms until `until` settles; every answer must be right and prompt. */
export async function neighbourKeepsAnswering<T>(host: TestHost, until: Promise<T>): Promise<{ result: T; answers: number }> {
  let settled = false;
  let answers = 0;
  const poll = (async () => {
    while (!settled) {
      const res = await host.get('/neighbour/');
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'still here');
      answers++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { result: await until, answers };
  } finally {
    settled = true;
    await poll;
  }
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}
