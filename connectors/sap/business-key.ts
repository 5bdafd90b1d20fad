/**
 * The business object key of an SAP S/4HANA business event, read from its (tiny) `data`.
 *
 * S/4 types are `sap.s4.beh.<object>.v1.<Object>.<Action>.v1`; the key field is named after `<Object>`
 * (`SalesOrder`, `BusinessPartner`, `PurchaseOrder`) in both payload generations: key-only notifications
 * (`{"SalesOrder":"1"}`) and RAP events that add a few header fields. Item events
 * (`SalesOrder.ItemChanged.v1`, data `{SalesOrder, SalesOrderItem, …}`) are keyed by the parent object,
 * so an order's header and item events stay in order on one key.
 */

const S4_TYPE = /^sap\.s4\.beh\.[a-z0-9]+\.v\d+\.([A-Za-z][A-Za-z0-9]*)\.[A-Za-z0-9]+\.v\d+$/;
const MAX_KEY_LENGTH = 1024;

/**
 * The key for `type` and `data`: the field named after the business object; else, for any other SAP
 * event whose data holds exactly one scalar field (a key-only notification), that field; else `undefined`.
 */
export function businessKey(type: string, data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const record = data as Record<string, unknown>;
  const object = S4_TYPE.exec(type)?.[1];
  if (object !== undefined && Object.hasOwn(record, object)) return keyText(record[object]);
  let only: unknown;
  let count = 0;
  for (const name in record) {
    if (++count > 1) return undefined;
    only = record[name];
  }
  return count === 1 ? keyText(only) : undefined;
}

function keyText(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  return text === undefined || text === '' || text.length > MAX_KEY_LENGTH ? undefined : text;
}
