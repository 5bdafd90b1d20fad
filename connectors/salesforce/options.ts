/** Options of the Salesforce decoders beyond `decode` in the connector config. */
export interface SalesforceDecoderOptions {
  /**
   * The org in the CloudEvent `source` (`/salesforce/<org>/…`): the org id or My Domain name. Salesforce
   * events do not carry it. Default `default`, after SAP's `/default/…` convention.
   */
  readonly org?: string;
}

/** `source` prefix for an org, encoded as one URI path segment. */
export function sourcePrefix(options: SalesforceDecoderOptions): string {
  return `/salesforce/${encodeURIComponent(options.org ?? 'default')}`;
}
