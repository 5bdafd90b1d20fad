/**
 * The canonical event: CloudEvents 1.0 attributes plus the `partitionkey` and `traceparent`
 * extensions. Every decoder produces one; the enriched event is one too.
 */
import { z } from 'zod';

/** CloudEvents attribute names: lower-case a–z and 0–9. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,64}$/;

export const canonicalEventSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string().min(1).max(1024),
    /** URI-reference: absolute URIs and relative references such as `/default/sap.s4.beh/X` are both legal. */
    source: z.string().min(1).max(4096),
    type: z.string().min(1).max(1024),
    subject: z.string().min(1).max(4096).optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    datacontenttype: z.string().min(1).optional(),
    dataschema: z.string().min(1).optional(),
    partitionkey: z.string().min(1).optional(),
    traceparent: z
      .string()
      .regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
      .optional(),
    data: z.unknown().optional(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean()]))
  .superRefine((event, ctx) => {
    for (const name of Object.keys(event)) {
      if (name !== 'data' && !ATTRIBUTE_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'CloudEvents attribute names are lower-case a-z and 0-9' });
      }
    }
  });

export type CanonicalEvent = z.infer<typeof canonicalEventSchema>;

/** Provenance recorded on every enriched event. */
export interface Provenance {
  readonly connector: string;
  readonly backend: string;
  readonly model: string;
  readonly modelVersion: string | undefined;
  readonly latencyMs: number;
  readonly attempts: number;
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number } | undefined;
  /** True when the fallback backend answered because the primary was down. */
  readonly fallback?: boolean;
}
