/**
 * The `sap-idoc` decoder: IDoc XML (`<ORDERS05><IDOC BEGIN="1"><EDI_DC40 …>…</IDOC></ORDERS05>`), one
 * IDoc per message, any IDoc type, to the canonical event:
 *
 * - `id`: the control record's `DOCNUM`, unchanged (zero-padded);
 * - `type`: `sap.idoc.<IDOCTYP>.<MESTYP>` (`sap.idoc.ORDERS05.ORDERS`), or `sap.idoc.<IDOCTYP>` without
 *   a message type;
 * - `source`: the sending partner, `/sap/idoc/<SNDPRT>/<SNDPRN>` (`/sap/idoc/LS/EQ2CLNT100`); when the
 *   partner type or number is blank (B2B integration content often leaves SNDPRT blank), built from what
 *   is there: `/sap/idoc/port/<SNDPOR>/partner/<SNDPRN>/client/<MANDT>`, blank parts left out;
 * - `partitionkey` and `subject`: the business document key, so that every IDoc about one order or one
 *   customer is processed in order (ORDERS/ORDCHG/INVOIC: `E1EDK01.BELNR`, DEBMAS: `E1KNA1M.KUNNR`,
 *   CREMAS: `E1LFA1M.LIFNR`, MATMAS: `E1MARAM.MATNR`, DELVRY: `E1EDL20.VBELN`); `decode.keyPath` (a path
 *   or JSONata expression into `data`) overrides it; for other types, custom `Z…` types included, or when
 *   the key segment is missing, `DOCNUM` (IDocs then run in parallel, unordered);
 * - `time`: the message timestamp. `CREDAT`/`CRETIM` are in the sending system's local time zone, which
 *   the IDoc does not state, so they stay in `data.control` and are not turned into a UTC instant;
 * - `data`: `{ idocType, control: {EDI_DC40 fields, trimmed strings}, segments: {name: [occurrences]} }`.
 *
 * Safety: see {@link guardXml}; the parser never processes entities.
 */
import { XMLParser } from 'fast-xml-parser';
import type { CanonicalEvent } from '../../schemas/event.ts';
import { assertCanonicalEvent } from '../cloudevents/attributes.ts';
import { isModelbridgeError, ModelbridgeError } from '../../schemas/errors.ts';
import type { DecodeConfig } from '../../schemas/connector-config.ts';
import { compileKeyPath, configuredKey } from '../decoding/key-expression.ts';
import { contentTypeOf, createUtf8Decoder, decodeUtf8, isTextContentType, mediaType, messageTraceparent, transportTime } from '../decoding/payload.ts';
import type { Decoder, InboundMessage } from '../types.ts';
import { compileFieldTypes } from './idoc-fields.ts';
import { children, elementName, flatFields, segmentContent, type XmlNode } from './idoc-tree.ts';
import { guardXml } from './xml-guard.ts';

/** Limits beyond the configuration. */
export interface IdocDecoderOptions {
  /** Most elements in one IDoc. Default 200,000 (a 1 MB IDoc has well under 100,000). */
  readonly maxElements?: number;
}

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_ELEMENTS = 200_000;
const BUSINESS_KEYS: Readonly<Record<string, readonly [segment: string, field: string]>> = {
  ORDERS: ['E1EDK01', 'BELNR'],
  ORDCHG: ['E1EDK01', 'BELNR'],
  INVOIC: ['E1EDK01', 'BELNR'],
  DEBMAS: ['E1KNA1M', 'KUNNR'],
  CREMAS: ['E1LFA1M', 'LIFNR'],
  MATMAS: ['E1MARAM', 'MATNR'],
  DELVRY: ['E1EDL20', 'VBELN'],
};

/**
 * Creates the IDoc decoder.
 * @throws ConfigError when `decode.keyPath` is malformed.
 */
export function createIdocDecoder(config: DecodeConfig, options: IdocDecoderOptions = {}): Decoder {
  const limits = { maxDepth: config.idoc?.maxDepth ?? DEFAULT_MAX_DEPTH, maxElements: options.maxElements ?? DEFAULT_MAX_ELEMENTS };
  const types = compileFieldTypes(config.idoc?.typedFields);
  const keyPath = compileKeyPath(config.keyPath);
  const keyPathRule = config.keyPath === undefined ? undefined : `decode.keyPath ${config.keyPath}`;
  const utf8 = createUtf8Decoder();
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    cdataPropName: '#cdata',
    ignoreDeclaration: true,
    ignorePiTags: true,
    removeNSPrefix: true,
    // Defence in depth: the guard has already bounded nesting.
    maxNestedTags: limits.maxDepth + 1,
  });

  function parse(text: string): XmlNode[] {
    guardXml(text, limits);
    try {
      return parser.parse(text) as XmlNode[];
    } catch (error) {
      if (isModelbridgeError(error)) throw error;
      const reason = error instanceof Error ? error.message.slice(0, 120) : 'parser failure';
      throw new ModelbridgeError('MALFORMED_PAYLOAD', `IDoc XML could not be parsed: ${reason}`, { cause: error });
    }
  }

  return {
    format: 'sap-idoc',
    decode(message: InboundMessage): CanonicalEvent {
      const { value } = message;
      if (value === null || value.length === 0) throw new ModelbridgeError('EMPTY_MESSAGE', 'message has no value');
      const contentType = contentTypeOf(message);
      if (contentType !== undefined && !isXml(contentType)) {
        throw new ModelbridgeError('UNSUPPORTED_CONTENT_TYPE', `content type ${JSON.stringify(contentType.slice(0, 100))} is not XML`);
      }
      const root = rootElement(parse(decodeUtf8(utf8, value)));
      const idocType = elementName(root)!;
      const idoc = singleIdoc(children(root, idocType), idocType);
      const { control, segments } = readIdoc(idoc, types);

      const docnum = required(control, 'DOCNUM');
      const idoctyp = required(control, 'IDOCTYP');
      const mestyp = control.MESTYP;
      const event: Record<string, unknown> = {
        specversion: '1.0',
        id: docnum,
        source: senderSource(control),
        type: mestyp ? `sap.idoc.${idoctyp}.${mestyp}` : `sap.idoc.${idoctyp}`,
        datacontenttype: 'application/json',
      };
      const data = { idocType, control, segments };
      const key = keyPath ? configuredKey(keyPath, data) : businessKey(idoctyp, segments);
      event.partitionkey = key ?? docnum;
      if (key !== undefined) event.subject = key;
      const time = transportTime(message);
      if (time !== undefined) event.time = time;
      const traceparent = messageTraceparent(message);
      if (traceparent !== undefined) event.traceparent = traceparent;
      event.data = data;
      assertCanonicalEvent(event);
      return event;
    },
    keyRule(type: string): string | undefined {
      if (keyPathRule !== undefined) return keyPathRule;
      const idoctyp = type.startsWith('sap.idoc.') ? type.split('.')[2]! : type;
      const key = businessKeyField(idoctyp);
      return key === undefined ? undefined : `${key[0]}.${key[1]}`;
    },
  };
}

function isXml(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml') || (type === 'text/plain' && isTextContentType(contentType));
}

function rootElement(nodes: XmlNode[]): XmlNode {
  for (const node of nodes) if (elementName(node) !== undefined) return node;
  throw new ModelbridgeError('MALFORMED_PAYLOAD', 'IDoc XML has no root element');
}

function singleIdoc(nodes: XmlNode[], root: string): XmlNode {
  let idoc: XmlNode | undefined;
  for (const node of nodes) {
    const name = elementName(node);
    if (name === undefined) continue;
    if (name !== 'IDOC') throw new ModelbridgeError('INVALID_EVENT', `<${root.slice(0, 64)}> must contain IDOC elements, found <${name.slice(0, 64)}>`);
    if (idoc !== undefined) throw new ModelbridgeError('INVALID_EVENT', `<${root.slice(0, 64)}> holds more than one IDoc; send one IDoc per message`);
    idoc = node;
  }
  if (idoc === undefined) throw new ModelbridgeError('INVALID_EVENT', `<${root.slice(0, 64)}> holds no IDOC element`);
  return idoc;
}

function readIdoc(idoc: XmlNode, types: ReturnType<typeof compileFieldTypes>): { control: Record<string, string>; segments: Record<string, unknown> } {
  const nodes = children(idoc, 'IDOC');
  let control: Record<string, string> | undefined;
  const rest: XmlNode[] = [];
  for (const node of nodes) {
    if (elementName(node) === 'EDI_DC40') {
      if (control !== undefined) throw new ModelbridgeError('INVALID_EVENT', 'IDoc has more than one control record EDI_DC40');
      control = trimmed(flatFields(children(node, 'EDI_DC40'), 'EDI_DC40'));
    } else {
      rest.push(node);
    }
  }
  if (control === undefined) throw new ModelbridgeError('INVALID_EVENT', 'IDoc has no control record EDI_DC40');
  return { control, segments: segmentContent(rest, 'IDOC', types) };
}

/** Control values are fixed-width and padded (`INVOIC01      `); they are used trimmed everywhere. */
function trimmed(fields: Record<string, string>): Record<string, string> {
  for (const name in fields) fields[name] = fields[name]!.trim();
  return fields;
}

/** The sending partner as a URI-reference, from whatever the control record names. */
function senderSource(control: Record<string, string>): string {
  const value = (field: string): string => (Object.hasOwn(control, field) ? control[field]! : '');
  const type = value('SNDPRT');
  const partner = value('SNDPRN');
  if (type !== '' && partner !== '') return `/sap/idoc/${encodeURIComponent(type)}/${encodeURIComponent(partner)}`;
  const parts: string[] = [];
  for (const [label, field] of [['port', 'SNDPOR'], ['partner', 'SNDPRN'], ['client', 'MANDT']] as const) {
    if (value(field) !== '') parts.push(`${label}/${encodeURIComponent(value(field))}`);
  }
  if (parts.length === 0) throw new ModelbridgeError('INVALID_EVENT', 'IDoc control record EDI_DC40 names no sender: SNDPRN, SNDPOR and MANDT are all blank');
  return `/sap/idoc/${parts.join('/')}`;
}

function required(control: Record<string, string>, field: string): string {
  const value = Object.hasOwn(control, field) ? control[field]! : '';
  if (value === '') throw new ModelbridgeError('INVALID_EVENT', `IDoc control record EDI_DC40 has no ${field}`);
  return value;
}

/** The type's key segment and field, by its basic type without the version: `ORDERS05` → `ORDERS`. */
function businessKeyField(idoctyp: string): readonly [segment: string, field: string] | undefined {
  return BUSINESS_KEYS[idoctyp.replace(/\d+$/, '')];
}

/** The key field of the type's header segment: `ORDERS05` → `ORDERS` → `E1EDK01.BELNR`. */
function businessKey(idoctyp: string, segments: Record<string, unknown>): string | undefined {
  const key = businessKeyField(idoctyp);
  if (key === undefined || !Object.hasOwn(segments, key[0])) return undefined;
  const first = (segments[key[0]] as Record<string, unknown>[])[0];
  const value = first !== undefined && Object.hasOwn(first, key[1]) ? first[key[1]] : undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return text === '' || text.length > 1024 ? undefined : text;
}
