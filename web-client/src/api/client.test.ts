import { describe, expect, it } from 'vitest';
import { ApiError, liveItems, toProblem, unwrap } from './client';

describe('unwrap', () => {
  it('returns the data of a 2xx answer', async () => {
    const data = await unwrap(Promise.resolve({ data: { id: 1 }, response: new Response(null, { status: 200 }) }));
    expect(data).toEqual({ id: 1 });
  });

  it('throws ApiError carrying the problem detail, field errors and Retry-After', async () => {
    const problem = { type: '/problems/validation', title: 'Invalid', status: 422, detail: 'A field is wrong',
      errors: [{ field: 'contacts.0.mobile', message: 'is not a mainland mobile number' }] };
    const err: ApiError = await unwrap(Promise.resolve({ error: problem, response: new Response(null, { status: 422, headers: { 'Retry-After': '30' } }) }))
      .then(() => { throw new Error('no error'); }, (e: unknown) => e as ApiError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.message).toBe('A field is wrong');
    expect(err.retryAfter).toBe(30);
    expect(err.fieldErrors()).toEqual({ 'contacts.0.mobile': 'is not a mainland mobile number' });
  });
});

describe('toProblem', () => {
  it('turns a FastAPI validation list into a readable detail', () => {
    expect(toProblem({ detail: [{ loc: ['body', 'name'], msg: 'Field required' }] }, 422).detail).toBe('body.name: Field required');
  });
  it('keeps a plain-text body as the detail', () => {
    expect(toProblem('Bad gateway', 502)).toMatchObject({ status: 502, detail: 'Bad gateway' });
  });
});

describe('liveItems', () => {
  it('leaves the tombstones of a delta sync out of a page', () => {
    const page = { items: [{ id: 'a', deleted: false as const }, { id: 'b', deleted: true as const }, { id: 'c' }], next_cursor: null };
    expect(liveItems(page).items.map((item) => item.id)).toEqual(['a', 'c']);
    expect(liveItems(page).next_cursor).toBeNull();
  });
});
