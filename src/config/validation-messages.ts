import type { ValidationError } from 'class-validator';

/** Constraints about the kind of value: when one fails, the range checks after it say nothing useful. */
const TYPE_CONSTRAINTS = ['isInt', 'isBoolean', 'isString', 'isEnum', 'isIn', 'isNumber'];

/**
 * The reasons a value failed validation, without the property name class-validator
 * starts them with (the caller names the field or variable): "must be an integer
 * number", not "port must not be greater than 65535, must not be less than 1, …".
 */
export function reasonsOf(error: ValidationError): string[] {
  const constraints = error.constraints ?? {};
  const typeFailure = TYPE_CONSTRAINTS.find((c) => c in constraints);
  const messages = typeFailure ? [constraints[typeFailure]] : Object.values(constraints).reverse();
  return messages.map((m) => (m.startsWith(`${error.property} `) ? m.slice(error.property.length + 1) : m));
}
