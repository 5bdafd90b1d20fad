/**
 * fast-xml-parser's ordered output → IDoc data. A segment becomes an object of its fields (strings, or
 * typed values) and its child segments; every segment name maps to an array of occurrences in document
 * order, also when it occurs once, so `segments.E1EDK14[1].ORGID` and `segments.E1EDK01[0].BELNR` read
 * the same whatever the count. An element is a segment when it has `SEGMENT="…"` or child elements;
 * otherwise it is a field. Whitespace between elements is ignored; other text inside a segment is an
 * INVALID_EVENT. Depth is bounded by the XML guard, so the recursion is too.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import { fieldType, typeField, type FieldTypes } from './idoc-fields.ts';
import { resolveReferences } from './xml-text.ts';

/** One node of fast-xml-parser's `preserveOrder` output. */
export type XmlNode = Record<string, unknown>;

const ATTRIBUTES = ':@';
const TEXT = '#text';
const CDATA = '#cdata';

/** The element name of a node, or `undefined` for text, CDATA and comment nodes. */
export function elementName(node: XmlNode): string | undefined {
  for (const key in node) {
    if (key !== ATTRIBUTES) return key.charCodeAt(0) === 35 /* # */ ? undefined : key;
  }
  return undefined;
}

export function children(node: XmlNode, name: string): XmlNode[] {
  const value = node[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

export function isSegmentNode(node: XmlNode, name: string): boolean {
  const attributes = node[ATTRIBUTES] as Record<string, unknown> | undefined;
  if (attributes !== undefined && attributes.SEGMENT !== undefined) return true;
  return children(node, name).some((child) => elementName(child) !== undefined);
}

/** The text of a field element: references resolved in text, CDATA taken literally. */
export function fieldText(nodes: XmlNode[]): string {
  let text = '';
  for (const node of nodes) {
    const plain = node[TEXT];
    if (typeof plain === 'string') text += resolveReferences(plain);
    else if (Array.isArray(node[CDATA])) for (const part of node[CDATA] as XmlNode[]) text += String(part[TEXT] ?? '');
  }
  return text;
}

/** Fields of a flat segment (the control record), untyped. */
export function flatFields(nodes: XmlNode[], segment: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const node of nodes) {
    const name = elementName(node);
    if (name === undefined) {
      checkNoText(node, segment);
      continue;
    }
    if (!Object.hasOwn(fields, name)) fields[name] = fieldText(children(node, name));
  }
  return fields;
}

/** A segment's fields and child segments. */
export function segmentContent(nodes: XmlNode[], segment: string, types: FieldTypes): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  for (const node of nodes) {
    const name = elementName(node);
    if (name === undefined) {
      checkNoText(node, segment);
      continue;
    }
    const inner = children(node, name);
    if (isSegmentNode(node, name)) {
      const existing = Object.hasOwn(content, name) ? content[name] : undefined;
      const value = segmentContent(inner, name, types);
      if (existing === undefined) content[name] = [value];
      else if (isSegmentList(existing)) existing.push(value);
      else throw conflict(segment, name);
    } else {
      const type = fieldType(types, segment, name);
      const text = fieldText(inner);
      const value = type === undefined ? text : typeField(type, text, segment, name);
      if (!Object.hasOwn(content, name)) content[name] = value;
      else {
        const existing = content[name];
        // Fields do not repeat in IDocs; if one does, keep every value rather than lose data.
        if (isSegmentList(existing)) throw conflict(segment, name);
        content[name] = Array.isArray(existing) ? [...(existing as unknown[]), value] : [existing, value];
      }
    }
  }
  return content;
}

function isSegmentList(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && typeof value[0] === 'object' && value[0] !== null;
}

function conflict(segment: string, name: string): ModelbridgeError {
  return new ModelbridgeError('INVALID_EVENT', `IDoc segment ${segment} has ${name} both as a field and as a child segment`);
}

function checkNoText(node: XmlNode, segment: string): void {
  const text = node[TEXT];
  if ((typeof text === 'string' && text.trim() !== '') || node[CDATA] !== undefined) {
    throw new ModelbridgeError('INVALID_EVENT', `IDoc segment ${segment} has text content; segments hold only fields and segments`);
  }
}
