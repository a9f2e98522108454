import type { FormInstance } from 'antd';
import { ApiError } from '../api/client';

type NamePath = string | number | (string | number)[];

/**
 * Puts a server error where the user will look for it: each field the server named goes under
 * that input, and only what no input can show (a 412, a 500, a field this form has no input for)
 * comes back to be shown once as an alert above the form. Showing both would say the same thing twice.
 *
 * `fieldFor` maps the server's field path (e.g. `contacts.0.mobile`) to the form's name, or
 * undefined when the form has no input for it.
 */
export function placeServerError(
  form: FormInstance,
  error: unknown,
  fieldFor: (serverField: string) => NamePath | undefined,
): unknown {
  if (!(error instanceof ApiError)) return error;
  const placed: { name: NamePath; errors: string[] }[] = [];
  const unplaced: string[] = [];
  for (const [field, message] of Object.entries(error.fieldErrors())) {
    const name = fieldFor(field);
    if (name === undefined) unplaced.push(message);
    else placed.push({ name, errors: [message] });
  }
  form.setFields(placed as Parameters<FormInstance['setFields']>[0]);
  if (placed.length > 0 && unplaced.length === 0) return null;
  return error;
}

/** The form names a plain list of top-level fields. */
export function oneOf(names: readonly string[]) {
  return (field: string) => (names.includes(field) ? field : undefined);
}
