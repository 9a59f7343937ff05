export { createApp, TREASURY_MIGRATIONS_DIR, type TreasuryAppDeps } from './app';
export { TreasuryConfig } from './config';
export { type RunningTreasuryService, startTreasuryService } from './service';
export {
  LocalReceiptTreasuryGateway,
  type RemittanceOrder,
  type TreasuryGateway,
  type TreasuryReceipt,
} from './treasury-gateway';
