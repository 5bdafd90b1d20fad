import { describe, expect, it } from 'vitest';
import { validateFiles, type ValidateIo } from '../../../services/cli/validate.ts';

function config(decode: string): string {
  return `name: intake
source: { kind: kafka, brokers: ["localhost:9092"], topic: in, group: g }
decode: ${decode}
inference:
  backend: { kind: kserve-http, url: "http://m:8000", model: m }
  request: { inputs: { X: data } }
  response: { y: "outputs.Y[0]" }
sink: { kind: kafka, brokers: ["localhost:9092"], topic: out }
deadLetter: { kind: kafka, brokers: ["localhost:9092"], topic: dlq }
`;
}

function run(text: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: ValidateIo = { env: {}, readFile: () => text, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } };
  const code = validateFiles(['c.yaml'], io);
  return { code, stdout: out.join(''), stderr: err.join('').split('\n').filter(Boolean) };
}

describe('validate: expected types without a key rule', () => {
  it('warns for each type no key rule covers, and the file is still ok', () => {
    const { code, stdout, stderr } = run(config('{ format: sap-idoc, types: [sap.idoc.ORDERS05.ORDERS, sap.idoc.ZMMSTOCKRECON_01.ZMMSTOCKRECON, ZBMATERIAL01] }'));
    expect([code, stdout]).toEqual([0, 'ok c.yaml\n']);
    expect(stderr).toHaveLength(2);
    expect(stderr[0]).toMatch(/^c\.yaml: warning: decode\.types\[1\]: no key rule for sap\.idoc\.ZMMSTOCKRECON_01\.ZMMSTOCKRECON: .*by their own event id.*set decode\.keyPath$/);
    expect(stderr[1]).toMatch(/^c\.yaml: warning: decode\.types\[2\]: no key rule for ZBMATERIAL01/);
  });

  it('is quiet when decode.keyPath covers them, and for SAP and CDC types with a built-in rule', () => {
    expect(run(config('{ format: sap-idoc, keyPath: "segments.Z1STOCK_RECON_01[0].WERKS", types: [sap.idoc.ZMMSTOCKRECON_01.ZMMSTOCKRECON] }')).stderr).toEqual([]);
    expect(run(config('{ format: sap-event, types: [sap.s4.beh.FreightOrder.Created.v1, sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1] }')).stderr).toEqual([]);
    expect(run(config('{ format: salesforce-cdc, types: [com.salesforce.cdc.AccountChangeEvent] }')).stderr).toEqual([]);
  });

  it('warns for platform events and events outside SAP naming without a keyPath', () => {
    expect(run(config('{ format: salesforce-platform-event, types: [com.salesforce.event.Low_Ink__e] }')).stderr).toHaveLength(1);
    expect(run(config('{ format: sap-event, types: [com.example.Order.Created] }')).stderr).toHaveLength(1);
  });
});
