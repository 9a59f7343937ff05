/** The offshore trust account registered with the simulated venue for fiat withdrawals (dev and tests). */
export const DEV_OFFSHORE_ACCOUNT = {
  id: 'HK-TRUST-0001',
  name: 'Case property trust account (dev)',
  bank: 'Hong Kong branch (simulated)',
};
