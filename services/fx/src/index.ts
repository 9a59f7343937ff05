export { createApp, FX_MIGRATIONS_DIR, type FxAppDeps } from './app';
export { FxConfig } from './config';
export { type CnyConversion, convertToCny } from './conversion';
export { type FxRate, HttpRateSource, type RateSource } from './rate-source';
export { type RunningFxService, startFxService } from './service';
