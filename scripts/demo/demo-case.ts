/**
 * A demo case, played end to end the way the people involved would do it:
 *  - the seizing officers sweep the suspect's coins into the case's custody addresses (on the
 *    ledger-chain simulator, funded from its faucet as the "suspect wallet");
 *  - the case officer registers the case with the control API;
 *  - a demo supervisor approves the disposal plan and a demo FX officer records the regulator's
 *    approval of the declaration, both through the control API.
 * Used by the dev stack (`scripts/dev.ts`) and by the end-to-end test, so both run the same story.
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../packages/shared/src/canonical';
import { ServiceClient } from '../../packages/shared/src/http/client';
import { dec } from '../../packages/shared/src/money';

export interface DemoUrls {
  controlApi: string;
  custody: string;
  chain: string;
}

export interface DemoLot {
  lotId: string;
  asset: 'BTC' | 'ETH' | 'USDT';
  chain: 'bitcoin' | 'ethereum';
  amount: string;
}

export const DEMO_LOTS: DemoLot[] = [
  { lotId: 'LOT-1', asset: 'BTC', chain: 'bitcoin', amount: '1.25' },
  { lotId: 'LOT-2', asset: 'USDT', chain: 'ethereum', amount: '25000' },
];

export const DEMO_PEOPLE = {
  caseOfficer: 'officer.zhang',
  supervisor: 'supervisor.li',
  fxOfficer: 'fx.officer.wang',
  custodian: 'custodian.chen',
  seizingOfficer: 'officer.zhao',
};

interface ChainTx {
  txHash: string;
}
interface ChainFees {
  fees: Record<string, string>;
}
interface CustodyAccountAnswer {
  address: string;
}

/** Fund a suspect wallet from the chain faucet and sweep it into the case's custody address. */
export async function seizeIntoCustody(urls: DemoUrls, caseId: string, lot: DemoLot): Promise<string> {
  const chain = new ServiceClient({ service: 'chain', baseUrl: urls.chain });
  const custody = new ServiceClient({ service: 'custody', baseUrl: urls.custody });
  const account = await custody.post<CustodyAccountAnswer>(
    '/v1/accounts',
    { caseId, asset: lot.asset, chain: lot.chain },
    `demo/${caseId}/account/${lot.asset}`,
  );
  const suspect = lot.chain === 'bitcoin' ? `bc1qsuspect${randomBytes(12).toString('hex')}` : `0x${randomBytes(20).toString('hex')}`;
  const { fees } = await chain.get<ChainFees>(`/v1/chains/${lot.chain}/fees`);
  const fee = fees[lot.asset] ?? '0';
  // The suspect's wallet holds exactly the lot plus the fee of the sweep.
  const funding = dec(lot.amount).plus(fee).toFixed();
  await chain.post<ChainTx>(`/v1/chains/${lot.chain}/faucet`, { address: suspect, asset: lot.asset, amount: funding }, `demo/${caseId}/faucet/${lot.lotId}`);
  const sweep = await chain.post<ChainTx>(
    `/v1/chains/${lot.chain}/transactions`,
    { from: suspect, to: account.address, asset: lot.asset, amount: lot.amount, clientRef: `demo-${caseId}-${lot.lotId}` },
    `demo/${caseId}/sweep/${lot.lotId}`,
  );
  return sweep.txHash;
}

export function demoRegistration(caseId: string, lots: Array<DemoLot & { sweepTxHash: string }>) {
  return {
    caseId,
    agency: 'Municipal Public Security Bureau (demo)',
    legalBasis: { reference: `Seizure decision ${caseId}`, documentSha256: sha256Hex(`seizure decision of ${caseId}`) },
    requestedBy: DEMO_PEOPLE.caseOfficer,
    lots: lots.map((lot, i) => ({
      lotId: lot.lotId,
      asset: lot.asset,
      chain: lot.chain,
      declaredAmount: lot.amount,
      sweepTxHash: lot.sweepTxHash,
      evidence: {
        handoverFormNo: `HF-${caseId}-${i + 1}`,
        handedOverBy: DEMO_PEOPLE.seizingOfficer,
        receivedBy: DEMO_PEOPLE.custodian,
        videoSha256: sha256Hex(`handover video of ${caseId} ${lot.lotId}`),
        documents: [{ name: 'handover-form.pdf', sha256: sha256Hex(`handover form of ${caseId} ${lot.lotId}`) }],
      },
    })),
  };
}
