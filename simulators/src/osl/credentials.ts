/** Dev-only credentials of the simulated OSL (the secret is base64, as OSL issues them): nothing real is signed with them. */
export const DEV_OSL_API_KEY = 'vcdc-dev-osl-key';
export const DEV_OSL_SECRET = Buffer.from('vcdc-dev-osl-secret-not-for-production').toString('base64');
