/**
 * The business object key of an SAP business event, read from its (small) `data`.
 *
 * The object comes from the type, in either naming SAP uses:
 * - `sap.s4.beh.<object>.v1.<Object>.<Action>.v1` (`sap.s4.beh.salesorder.v1.SalesOrder.Created.v1`);
 * - `sap.s4.beh.<Object>.<Action>.v1` (S/4HANA Cloud: `sap.s4.beh.FreightOrder.Created.v1`);
 * and other SAP products' `sap.<product>.<area>.<Object>.<Action>.v<n>` (`sap.dmo.dvh.Vehicle.Created.v1`).
 * The key is the field named after the object, compared without regard to case (`SalesOrder`,
 * `salesorder`), in both payload generations: key-only notifications and events that add header fields.
 * Item events (`SalesOrder.ItemChanged.v1`, data `{SalesOrder, SalesOrderItem, …}`) are keyed by the parent
 * object, so an order's header and item events stay in order on one key. A few objects name their key
 * field otherwise ({@link KEY_FIELD_ALIASES}). Lacking all that, data with exactly one scalar field (a
 * key-only notification) is keyed by that field.
 */

const OBJECT_IN_TYPE = /^sap\.(?:s4\.beh\.(?:[a-z0-9]+\.v\d+\.)?|[a-z0-9]+\.[a-z0-9]+\.)([A-Za-z][A-Za-z0-9]*)\.[A-Za-z0-9]+\.v\d+$/;
const MAX_KEY_LENGTH = 1024;

/**
 * Objects whose events carry the key under another name. S/4HANA Cloud's freight order events carry
 * `TransportationOrder` (SAP Transportation Management's name for freight orders), not `FreightOrder`.
 */
const KEY_FIELD_ALIASES: Readonly<Record<string, string>> = { freightorder: 'transportationorder' };

/** The business object a type names (`SalesOrder`), or `undefined` when the type is not in SAP's naming. */
export function businessObject(type: string): string | undefined {
  return OBJECT_IN_TYPE.exec(type)?.[1];
}

/** The key for `type` and `data` (see the module comment), else `undefined`. */
export function businessKey(type: string, data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const record = data as Record<string, unknown>;
  const object = businessObject(type)?.toLowerCase();
  if (object !== undefined) {
    const wanted = KEY_FIELD_ALIASES[object] ?? object;
    for (const name in record) {
      if (name.length === wanted.length && name.toLowerCase() === wanted) return keyText(record[name]);
    }
  }
  let only: unknown;
  let count = 0;
  for (const name in record) {
    if (++count > 1) return undefined;
    only = record[name];
  }
  return count === 1 ? keyText(only) : undefined;
}

/** A description of the built-in key rule for `type`, or `undefined` when there is none. */
export function businessKeyRule(type: string): string | undefined {
  const object = businessObject(type);
  if (object === undefined) return undefined;
  const alias = KEY_FIELD_ALIASES[object.toLowerCase()];
  return `the data field ${alias === undefined ? `named ${object}` : `${alias} (the ${object} key)`}, any casing`;
}

function keyText(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  return text === undefined || text === '' || text.length > MAX_KEY_LENGTH ? undefined : text;
}
